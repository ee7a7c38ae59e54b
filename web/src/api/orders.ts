import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, query } from './client';
import type { Cart, Order, Page } from './types';
import { useSession } from '../state/session';

export const orderKeys = {
  cart: ['cart'] as const,
  orders: (page: number) => ['orders', page] as const,
  order: (id: string) => ['order', id] as const,
  flags: ['flags'] as const,
};

export function useCart() {
  const signedIn = useSession((s) => s.accessToken !== null);
  return useQuery({ queryKey: orderKeys.cart, queryFn: () => api<Cart>('/api/cart'), enabled: signedIn });
}

/** Sets a line's quantity; the cart shows it at once and rolls back if the server refuses. */
export function useSetCartItem() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ productId, quantity }: { productId: string; quantity: number; name?: string }) =>
      api<Cart>(`/api/cart/items/${productId}`, { method: 'PUT', body: { quantity } }),
    onMutate: async ({ productId, quantity, name }) => {
      await client.cancelQueries({ queryKey: orderKeys.cart });
      const previous = client.getQueryData<Cart>(orderKeys.cart);
      client.setQueryData<Cart>(orderKeys.cart, (cart) => {
        const items = cart?.items ?? [];
        const exists = items.some((i) => i.productId === productId);
        const next = exists
          ? items.map((i) => (i.productId === productId ? { ...i, quantity } : i))
          : [...items, { productId, quantity, name: name ?? null, available: true, unitPrice: null, lineTotal: null }];
        return { items: next, total: cart?.total ?? null };
      });
      return { previous };
    },
    onError: (_error, _vars, context) => client.setQueryData(orderKeys.cart, context?.previous),
    onSuccess: (cart) => client.setQueryData(orderKeys.cart, cart),
  });
}

export function useRemoveCartItem() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (productId: string) => api<Cart>(`/api/cart/items/${productId}`, { method: 'DELETE' }),
    onMutate: async (productId) => {
      await client.cancelQueries({ queryKey: orderKeys.cart });
      const previous = client.getQueryData<Cart>(orderKeys.cart);
      client.setQueryData<Cart>(orderKeys.cart, (cart) =>
        cart ? { ...cart, items: cart.items.filter((i) => i.productId !== productId) } : cart,
      );
      return { previous };
    },
    onError: (_error, _id, context) => client.setQueryData(orderKeys.cart, context?.previous),
    onSuccess: (cart) => client.setQueryData(orderKeys.cart, cart),
  });
}

export function useFlags() {
  return useQuery({ queryKey: orderKeys.flags, queryFn: () => api<Record<string, boolean>>('/api/flags') });
}

/** Places the order; the key is made once per checkout attempt so a retry cannot order twice. */
export function usePlaceOrder() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (idempotencyKey: string) =>
      api<Order>('/api/orders', { method: 'POST', headers: { 'idempotency-key': idempotencyKey } }),
    onSuccess: (order) => {
      client.setQueryData(orderKeys.order(order.id), order);
      void client.invalidateQueries({ queryKey: orderKeys.cart });
      void client.invalidateQueries({ queryKey: ['orders'] });
      void client.invalidateQueries({ queryKey: ['products'] });
    },
  });
}

function useOrderAction(action: 'pay' | 'cancel') {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => api<Order>(`/api/orders/${id}/${action}`, { method: 'POST' }),
    onSuccess: (order) => {
      client.setQueryData(orderKeys.order(order.id), order);
      void client.invalidateQueries({ queryKey: ['orders'] });
    },
  });
}
export const usePayOrder = () => useOrderAction('pay');
export const useCancelOrder = () => useOrderAction('cancel');

export function useOrders(page: number) {
  return useQuery({
    queryKey: orderKeys.orders(page),
    queryFn: () => api<Page<Order>>(`/api/orders${query({ page, limit: 10 })}`),
  });
}

export function useOrder(id: string) {
  return useQuery({ queryKey: orderKeys.order(id), queryFn: () => api<Order>(`/api/orders/${id}`) });
}
