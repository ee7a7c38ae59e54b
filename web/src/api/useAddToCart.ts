import { useLocation, useNavigate } from 'react-router-dom';
import { describeError } from './client';
import { useCart, useSetCartItem } from './orders';
import type { Product } from './types';
import { useSession } from '../state/session';
import { useToast } from '../state/ui';

/** Adds one of a product (signed-in people only; others are sent to log in first). */
export function useAddToCart() {
  const signedIn = useSession((s) => s.accessToken !== null);
  const cart = useCart();
  const setItem = useSetCartItem();
  const toast = useToast();
  const navigate = useNavigate();
  const location = useLocation();
  const add = (product: Product) => {
    if (!signedIn) {
      navigate('/login', { state: { from: location.pathname + location.search } });
      return;
    }
    const current = cart.data?.items.find((i) => i.productId === product.id)?.quantity ?? 0;
    setItem.mutate(
      { productId: product.id, quantity: Math.min(current + 1, 99), name: product.name },
      {
        onSuccess: () => toast.success(`${product.name} added to your cart`),
        onError: (error) => toast.error(describeError(error)),
      },
    );
  };
  return { add, pendingId: setItem.isPending ? setItem.variables?.productId : undefined };
}
