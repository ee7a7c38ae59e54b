// The admin portal's server state. Every mutation invalidates the lists it changes.
import { useMutation, useQuery, useQueryClient, type QueryKey } from '@tanstack/react-query';
import { api, query, type RequestOptions } from './client';
import type { DeadLetter, FeatureFlag, FeatureFlagChange, Mail, Order, Page, Product, Readiness, Stats, User, Webhook, WebhookDelivery } from './types';

type Params = Record<string, string | number | undefined>;

export const useAdminList = <T,>(path: string, params: Params = {}) =>
  useQuery({ queryKey: [path, params], queryFn: () => api<Page<T>>(`${path}${query(params)}`) });

/** A write that refreshes `invalidates` (query key prefixes) when it succeeds. */
export function useAdminWrite<Vars, Result = unknown>(request: (vars: Vars) => [string, RequestOptions], invalidates: QueryKey[]) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (vars: Vars) => {
      const [path, options] = request(vars);
      return api<Result>(path, options);
    },
    onSuccess: () => Promise.all(invalidates.map((queryKey) => client.invalidateQueries({ queryKey }))),
  });
}

export const useAdminUsers = (params: Params) => useAdminList<User>('/api/admin/users', params);
export const useUpdateUser = () =>
  useAdminWrite<{ id: string; role?: string; tier?: string; disabled?: boolean }, User>(
    ({ id, ...body }) => [`/api/admin/users/${id}`, { method: 'PATCH', body }],
    [['/api/admin/users']],
  );

export const useAdminProducts = (params: Params) => useAdminList<Product>('/api/products', params);
export const useSaveProduct = () =>
  useAdminWrite<{ id?: string; body: Record<string, unknown> }, Product>(
    ({ id, body }) => (id ? [`/api/products/${id}`, { method: 'PATCH', body }] : ['/api/products', { method: 'POST', body }]),
    [['/api/products'], ['products'], ['product']],
  );
export const useDeleteProduct = () =>
  useAdminWrite<string>((id) => [`/api/products/${id}`, { method: 'DELETE' }], [['/api/products'], ['products']]);

export const useAdminOrders = (params: Params) => useAdminList<Order>('/api/admin/orders', params);
export const useTransitionOrder = () =>
  useAdminWrite<{ id: string; to: string }, Order>(({ id, to }) => [`/api/admin/orders/${id}/transition`, { method: 'POST', body: { to } }], [['/api/admin/orders']]);

export const useAdminFlags = () => useAdminList<FeatureFlag>('/api/admin/flags', { limit: 100 });
export const useUpdateFlag = () =>
  useAdminWrite<{ key: string; change: FeatureFlagChange }, FeatureFlag>(
    ({ key, change }) => [`/api/admin/flags/${key}`, { method: 'PATCH', body: change }],
    [['/api/admin/flags'], ['flags']],
  );
export const useCreateFlag = () =>
  useAdminWrite<{ key: string; description: string }, FeatureFlag>((body) => ['/api/admin/flags', { method: 'POST', body: { ...body, enabled: false, rolloutPercent: 0 } }], [['/api/admin/flags']]);

export const useWebhooks = () => useAdminList<Webhook>('/api/admin/webhooks', { limit: 100 });
export const useCreateWebhook = () =>
  useAdminWrite<{ url: string; events: string[]; description: string }, Webhook>((body) => ['/api/admin/webhooks', { method: 'POST', body }], [['/api/admin/webhooks']]);
export const useDeleteWebhook = () =>
  useAdminWrite<string>((id) => [`/api/admin/webhooks/${id}`, { method: 'DELETE' }], [['/api/admin/webhooks']]);
export const useTestWebhook = () =>
  useAdminWrite<string>((id) => [`/api/admin/webhooks/${id}/test`, { method: 'POST' }], [[`/api/admin/webhooks/deliveries`]]);
export const useDeliveries = (id: string | null) =>
  useQuery({
    queryKey: ['/api/admin/webhooks/deliveries', id],
    queryFn: () => api<Page<WebhookDelivery>>(`/api/admin/webhooks/${id}/deliveries?limit=20`),
    enabled: id !== null,
  });

export const useDeadLetters = (page: number) => useAdminList<DeadLetter>('/api/admin/events/dead', { page });
export const useReplay = () =>
  useAdminWrite<string>((id) => [`/api/admin/events/dead/${id}/replay`, { method: 'POST' }], [['/api/admin/events/dead']]);

export const useMailbox = (params: Params) => useAdminList<Mail>('/api/admin/mailbox', params);
export const useStats = () => useQuery({ queryKey: ['/api/admin/stats'], queryFn: () => api<Stats>('/api/admin/stats') });

/** `/ready` answers 503 with the same body when a dependency is down: both are data here. */
export const useReadiness = () =>
  useQuery({
    queryKey: ['/ready'],
    queryFn: async () => {
      const response = await fetch('/ready');
      return { ok: response.ok, body: (await response.json()) as Readiness };
    },
    staleTime: 0,
    refetchInterval: 10_000,
  });
