import { useSession } from '../state/session';
import { api, ApiError } from './client';

const user = { id: 'u1', email: 'a@b.c', name: 'Ann', role: 'user', tier: 'free', isVerified: true, disabled: false, createdAt: '', updatedAt: '', age: null, profile: {} } as const;

function json(status: number, body: unknown, headers: Record<string, string> = {}) {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
}

describe('api client', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('refreshes once on 401 and retries with the new token', async () => {
    useSession.getState().signIn({ accessToken: 'old', refreshToken: 'r1', tokenType: 'Bearer', expiresIn: 1, user });
    const fetch = vi.fn()
      .mockResolvedValueOnce(json(401, { code: 'authentication_failed' }))
      .mockResolvedValueOnce(json(200, { accessToken: 'new', refreshToken: 'r2', tokenType: 'Bearer', expiresIn: 900, user }))
      .mockResolvedValueOnce(json(200, { ok: true }));
    vi.stubGlobal('fetch', fetch);
    await expect(api('/api/users/me')).resolves.toEqual({ ok: true });
    expect(fetch.mock.calls[1]?.[0]).toBe('/api/auth/refresh');
    expect(fetch.mock.calls[2]?.[1].headers.authorization).toBe('Bearer new');
    expect(useSession.getState().refreshToken).toBe('r2');
  });

  it('logs out when the refresh token is refused', async () => {
    useSession.getState().signIn({ accessToken: 'old', refreshToken: 'spent', tokenType: 'Bearer', expiresIn: 1, user });
    vi.stubGlobal('fetch', vi.fn()
      .mockResolvedValueOnce(json(401, { code: 'authentication_failed' }))
      .mockResolvedValueOnce(json(401, { code: 'token_revoked' })));
    await expect(api('/api/users/me')).rejects.toBeInstanceOf(ApiError);
    expect(useSession.getState().user).toBeNull();
  });

  it('reads Retry-After of a 429', async () => {
    vi.stubGlobal('fetch', vi.fn().mockResolvedValueOnce(json(429, { code: 'rate_limited', error: 'Rate limit exceeded' }, { 'retry-after': '17' })));
    const error = await api('/api/products').catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 429, code: 'rate_limited', retryAfter: 17 });
  });
});
