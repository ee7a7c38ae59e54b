// The one way the app calls the REST API: bearer token from the session store, one refresh
// (shared by concurrent callers) when the access token has expired, errors as `ApiError`.
import { useSession } from '../state/session';
import type { Session } from './types';

export interface ErrorDetail {
  field: string;
  message: string;
}

/** A non-2xx answer in the API's error shape (`{error, code, details, requestId}`). */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: ErrorDetail[];
  readonly requestId: string | undefined;
  /** Seconds until a rate-limited request may be retried (429 only). */
  readonly retryAfter: number | undefined;

  constructor(status: number, body: Partial<{ error: string; code: string; details: ErrorDetail[]; requestId: string; retryAfter: number }>, retryAfter?: number) {
    super(body.error ?? `HTTP ${status}`);
    this.status = status;
    this.code = body.code ?? 'unknown';
    this.details = body.details ?? [];
    this.requestId = body.requestId;
    this.retryAfter = body.retryAfter ?? retryAfter;
  }
}

export interface RequestOptions {
  method?: string;
  body?: unknown;
  headers?: Record<string, string>;
}

let refreshing: Promise<boolean> | null = null;

/** Trades the refresh token for a new pair; false (and logged out) when the session is over. */
async function refreshSession(): Promise<boolean> {
  const { refreshToken } = useSession.getState();
  if (!refreshToken) return false;
  refreshing ??= (async () => {
    try {
      const response = await fetch('/api/auth/refresh', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ refreshToken }),
      });
      if (!response.ok) {
        useSession.getState().logout();
        return false;
      }
      const session = (await response.json()) as Session;
      useSession.getState().signIn(session);
      return true;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

async function send(path: string, options: RequestOptions): Promise<Response> {
  const headers: Record<string, string> = { ...options.headers };
  const token = useSession.getState().accessToken;
  if (token) headers.authorization = `Bearer ${token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  return fetch(path, {
    method: options.method ?? 'GET',
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
}

/** Calls the API; resolves with the parsed body (undefined for 202/204), rejects with `ApiError`. */
export async function api<T>(path: string, options: RequestOptions = {}): Promise<T> {
  let response = await send(path, options);
  if (response.status === 401 && useSession.getState().refreshToken && !path.startsWith('/api/auth/')) {
    if (await refreshSession()) response = await send(path, options);
  }
  if (!response.ok) {
    const body = await response.json().catch(() => ({}));
    const retryAfter = Number(response.headers.get('retry-after') ?? '') || undefined;
    throw new ApiError(response.status, body, retryAfter);
  }
  if (response.status === 204 || response.status === 202) return undefined as T;
  const text = await response.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

/** A query string from the defined, non-empty values. */
export function query(params: Record<string, string | number | boolean | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

/** What to tell a person about a failed call: when to retry (429), the request id (5xx). */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 429) {
      return `Too many requests — try again in ${error.retryAfter ?? 60} s.`;
    }
    if (error.status >= 500) {
      return `Something went wrong on our side (request id ${error.requestId ?? 'unknown'}).`;
    }
    return error.details[0]?.message ?? error.message;
  }
  return 'Network error — check your connection.';
}
