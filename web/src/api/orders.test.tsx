import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { act, renderHook, waitFor } from '@testing-library/react';
import type { ReactNode } from 'react';
import { orderKeys, useSetCartItem } from './orders';
import type { Cart } from './types';

const cart: Cart = { items: [{ productId: 'p1', name: 'Tent', quantity: 1, available: true, unitPrice: null, lineTotal: null }], total: null };

function setup() {
  const client = new QueryClient({ defaultOptions: { mutations: { retry: false } } });
  client.setQueryData(orderKeys.cart, cart);
  const wrapper = ({ children }: { children: ReactNode }) => <QueryClientProvider client={client}>{children}</QueryClientProvider>;
  return { client, ...renderHook(() => useSetCartItem(), { wrapper }) };
}

describe('useSetCartItem (optimistic)', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('shows the new quantity before the server answers, then the server cart', async () => {
    let answer: (r: Response) => void = () => {};
    vi.stubGlobal('fetch', vi.fn(() => new Promise<Response>((r) => (answer = r))));
    const { client, result } = setup();
    act(() => result.current.mutate({ productId: 'p1', quantity: 3 }));
    await waitFor(() => expect(client.getQueryData<Cart>(orderKeys.cart)?.items[0]?.quantity).toBe(3));
    const server: Cart = { ...cart, items: cart.items.map((i) => ({ ...i, quantity: 3, name: 'Tent (server)' })) };
    answer(new Response(JSON.stringify(server), { status: 200 }));
    await waitFor(() => expect(client.getQueryData<Cart>(orderKeys.cart)?.items[0]?.name).toBe('Tent (server)'));
  });

  it('rolls back when the server refuses', async () => {
    vi.stubGlobal('fetch', vi.fn().mockResolvedValue(new Response(JSON.stringify({ code: 'validation_failed', details: [] }), { status: 400 })));
    const { client, result } = setup();
    act(() => result.current.mutate({ productId: 'p2', quantity: 1, name: 'Stove' }));
    await waitFor(() => expect(result.current.isError).toBe(true));
    expect(client.getQueryData(orderKeys.cart)).toEqual(cart);
  });
});
