import { useState } from 'react';
import { Link, useNavigate } from 'react-router-dom';
import { ApiError } from '../api/client';
import { useCart, useFlags, usePayOrder, usePlaceOrder } from '../api/orders';
import type { Order } from '../api/types';
import { Button } from '../components/atoms/Button';
import { Spinner } from '../components/atoms/Spinner';
import { ErrorNotice } from '../components/molecules/ErrorNotice';
import { formatMoney } from '../lib/format';

/**
 * Both flows of `new-checkout-flow`: with it on, placing the order also pays it (one step);
 * with it off, the order is placed `pending` and paid in a second step. One idempotency key per
 * visit of this page, so a double click or a retry never orders twice.
 */
export function CheckoutPage() {
  const cart = useCart();
  const flags = useFlags();
  const place = usePlaceOrder();
  const pay = usePayOrder();
  const navigate = useNavigate();
  const [key] = useState(() => crypto.randomUUID());
  const [placed, setPlaced] = useState<Order | null>(null);
  const oneStep = flags.data?.['new-checkout-flow'] === true;

  if (cart.isPending || flags.isPending) return <Spinner />;
  if (cart.isError) return <ErrorNotice error={cart.error} />;
  if (!placed && cart.data.items.length === 0) {
    return <p>Your cart is empty. <Link to="/">Browse the shop</Link></p>;
  }
  const done = (order: Order) => navigate(`/orders/${order.id}`, { state: { placed: true } });

  if (placed && placed.status === 'pending' && !oneStep) {
    return (
      <section className="card narrow">
        <h1>Pay for your order</h1>
        <p>Order placed: {formatMoney(placed.total)}. Pay now to have it shipped.</p>
        {pay.error && <ErrorNotice error={pay.error} />}
        <Button data-testid="pay-button" busy={pay.isPending} onClick={() => pay.mutate(placed.id, { onSuccess: done })}>
          Pay {formatMoney(placed.total)}
        </Button>{' '}
        <Link to={`/orders/${placed.id}`}>Pay later</Link>
      </section>
    );
  }

  const outOfStock = place.error instanceof ApiError && place.error.code === 'out_of_stock';
  return (
    <section className="card narrow">
      <h1>Checkout</h1>
      <ul className="plain">
        {cart.data.items.map((i) => (
          <li key={i.productId} className="row between">
            <span>{i.quantity} × {i.name}</span>
            <span>{formatMoney(i.lineTotal)}</span>
          </li>
        ))}
      </ul>
      <p className="row between"><strong>Total</strong><strong>{formatMoney(cart.data.total)}</strong></p>
      {outOfStock && <p className="notice notice-error" role="alert">Some items are no longer in stock. <Link to="/cart">Review your cart</Link></p>}
      {place.error && !outOfStock && <ErrorNotice error={place.error} />}
      <Button
        data-testid="place-order"
        busy={place.isPending}
        onClick={() => place.mutate(key, { onSuccess: (order) => (oneStep || order.status !== 'pending' ? done(order) : setPlaced(order)) })}
      >
        {oneStep ? `Place order and pay ${formatMoney(cart.data.total)}` : 'Place order'}
      </Button>
    </section>
  );
}
