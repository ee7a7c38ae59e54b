import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from './client';
import type { Session, User } from './types';
import { useSession } from '../state/session';

export interface Registration {
  email: string;
  password: string;
  name: string;
}

export const useRegister = () =>
  useMutation({ mutationFn: (body: Registration) => api<User>('/api/users', { method: 'POST', body }) });

export function useLogin() {
  const signIn = useSession((s) => s.signIn);
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: { email: string; password: string }) =>
      api<Session>('/api/auth/login', { method: 'POST', body }),
    onSuccess: (session) => {
      // Another person's cached answers (cart, orders) must not show.
      client.clear();
      signIn(session);
    },
  });
}

export function useLogout() {
  const logout = useSession((s) => s.logout);
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => api<undefined>('/api/auth/logout', { method: 'POST' }),
    // Signed out locally even if the server could not be told.
    onSettled: () => {
      logout();
      client.clear();
    },
  });
}

export const useVerifyEmail = () =>
  useMutation({ mutationFn: (token: string) => api<{ verified: boolean }>('/api/auth/verify-email', { method: 'POST', body: { token } }) });

export const useForgotPassword = () =>
  useMutation({ mutationFn: (email: string) => api<undefined>('/api/auth/forgot-password', { method: 'POST', body: { email } }) });

export const useResetPassword = () =>
  useMutation({
    mutationFn: (body: { token: string; password: string }) =>
      api<undefined>('/api/auth/reset-password', { method: 'POST', body }),
  });

export function useMe() {
  const signedIn = useSession((s) => s.accessToken !== null);
  return useQuery({ queryKey: ['me'], queryFn: () => api<User>('/api/users/me'), enabled: signedIn });
}

export function useUpdateMe() {
  const updateUser = useSession((s) => s.updateUser);
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: { name?: string; age?: number | null }) => api<User>('/api/users/me', { method: 'PATCH', body }),
    onSuccess: (user) => {
      updateUser(user);
      client.setQueryData(['me'], user);
    },
  });
}

export const useChangePassword = () =>
  useMutation({
    mutationFn: (body: { currentPassword: string; newPassword: string }) =>
      api<undefined>('/api/users/me/password', { method: 'POST', body }),
  });
