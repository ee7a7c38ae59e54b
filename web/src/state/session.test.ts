import type { Session } from '../api/types';
import { useSession } from './session';

const session: Session = {
  accessToken: 'a1', refreshToken: 'r1', tokenType: 'Bearer', expiresIn: 900,
  user: { id: 'u1', email: 'ann@example.org', name: 'Ann', role: 'user', tier: 'free', isVerified: true, disabled: false, createdAt: '', updatedAt: '', age: null, profile: {} },
};

describe('session store', () => {
  beforeEach(() => useSession.getState().logout());

  it('signs in and persists under user-storage', () => {
    useSession.getState().signIn(session);
    expect(useSession.getState().user?.name).toBe('Ann');
    const stored = JSON.parse(localStorage.getItem('user-storage') ?? '{}');
    expect(stored.state.accessToken).toBe('a1');
    expect(stored.state.refreshToken).toBe('r1');
  });

  it('logout clears the user and the tokens', () => {
    useSession.getState().signIn(session);
    useSession.getState().logout();
    const { user, accessToken, refreshToken } = useSession.getState();
    expect([user, accessToken, refreshToken]).toEqual([null, null, null]);
    expect(JSON.parse(localStorage.getItem('user-storage') ?? '{}').state.accessToken).toBeNull();
  });
});
