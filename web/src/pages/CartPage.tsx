import { Link, useNavigate } from 'react-router-dom';
import { describeError } from '../api/client';
import { useCart, useRemoveCartItem, useSetCartItem } from '../api/orders';
import { Button } from '../components/atoms/Button';
import { Spinner } from '../components/atoms/Spinner';
import { ErrorNotice } from '../components/molecules/ErrorNotice';
import { formatMoney } from '../lib/format';
import { useToast } from '../state/ui';

export function CartPage() {
  const cart = useCart();
  const setItem = useSetCartItem();
  const remove = useRemoveCartItem();
  const toast = useToast();
  const navigate = useNavigate();
  const onError = { onError: (e: unknown) => toast.error(describeError(e)) };
  if (cart.isPending) return <Spinner />;
  if (cart.isError) return <ErrorNotice error={cart.error} />;
  const items = cart.data.items;
  return (
    <section>
      <h1>Your cart</h1>
      {items.length === 0 ? (
        <p>
          Your cart is empty. <Link to="/">Browse the shop</Link>
        </p>
      ) : (
        <>
          <table className="table">
            <thead>
              <tr><th>Product</th><th>Price</th><th>Quantity</th><th>Total</th><th><span className="sr-only">Actions</span></th></tr>
            </thead>
            <tbody>
              {items.map((item) => (
                <tr key={item.productId} data-testid="cart-item">
                  <td>
                    <Link to={`/products/${item.productId}`}>{item.name ?? 'Unavailable product'}</Link>
                    {!item.available && <span className="muted"> (unavailable)</span>}
                  </td>
                  <td>{formatMoney(item.unitPrice)}</td>
                  <td>
                    <label className="sr-only" htmlFor={`qty-${item.productId}`}>Quantity of {item.name}</label>
                    <input
                      id={`qty-${item.productId}`}
                      className="input qty"
                      type="number"
                      min={1}
                      max={99}
                      value={item.quantity}
                      onChange={(e) => {
                        const quantity = Number(e.target.value);
                        if (quantity >= 1 && quantity <= 99) setItem.mutate({ productId: item.productId, quantity }, onError);
                      }}
                    />
                  </td>
                  <td>{formatMoney(item.lineTotal)}</td>
                  <td>
                    <Button variant="ghost" onClick={() => remove.mutate(item.productId, onError)} aria-label={`Remove ${item.name}`}>
                      Remove
                    </Button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <div className="row between">
            <strong>Total: {formatMoney(cart.data.total)}</strong>
            <Button data-testid="checkout-button" onClick={() => navigate('/checkout')} disabled={setItem.isPending || remove.isPending}>
              Checkout
            </Button>
          </div>
        </>
      )}
    </section>
  );
}
