// The session (the seed's pattern): who is signed in and their tokens, persisted in
// localStorage under `user-storage`, visible in Redux DevTools.
import { create } from 'zustand';
import { devtools, persist } from 'zustand/middleware';
import type { Session, User } from '../api/types';

export interface SessionState {
  user: User | null;
  accessToken: string | null;
  refreshToken: string | null;
  signIn: (session: Session) => void;
  updateUser: (user: User) => void;
  logout: () => void;
}

export const useSession = create<SessionState>()(
  devtools(
    persist(
      (set) => ({
        user: null,
        accessToken: null,
        refreshToken: null,
        signIn: (session) =>
          set(
            { user: session.user, accessToken: session.accessToken, refreshToken: session.refreshToken },
            false,
            'signIn',
          ),
        updateUser: (user) => set({ user }, false, 'updateUser'),
        logout: () => set({ user: null, accessToken: null, refreshToken: null }, false, 'logout'),
      }),
      { name: 'user-storage' },
    ),
    { name: 'session' },
  ),
);

export const isAdmin = (user: User | null): boolean => user?.role === 'admin';
