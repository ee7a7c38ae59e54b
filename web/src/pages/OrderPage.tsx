import { Link, useParams } from 'react-router-dom';
import { useCancelOrder, useOrder, usePayOrder } from '../api/orders';
import { Badge, statusTone } from '../components/atoms/Badge';
import { Button } from '../components/atoms/Button';
import { Spinner } from '../components/atoms/Spinner';
import { ErrorNotice } from '../components/molecules/ErrorNotice';
import { formatDate, formatMoney } from '../lib/format';

export function OrderPage() {
  const { id = '' } = useParams();
  const order = useOrder(id);
  const cancel = useCancelOrder();
  const pay = usePayOrder();
  if (order.isPending) return <Spinner />;
  if (order.isError) return <ErrorNotice error={order.error} />;
  const o = order.data;
  const cancellable = o.status === 'pending' || o.status === 'paid';
  return (
    <section>
      <Link to="/orders">← All orders</Link>
      <h1>Order #{o.id.slice(-8)}</h1>
      <p>
        Status: <Badge tone={statusTone(o.status)} data-testid="order-status">{o.status}</Badge> · placed {formatDate(o.createdAt)}
      </p>
      <table className="table">
        <thead><tr><th>Product</th><th>Unit price</th><th>Quantity</th><th>Total</th></tr></thead>
        <tbody>
          {o.items.map((i) => (
            <tr key={i.productId}>
              <td>{i.name}</td><td>{formatMoney(i.unitPrice)}</td><td>{i.quantity}</td><td>{formatMoney(i.lineTotal)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p><strong>Total {formatMoney(o.total)}</strong></p>
      {(cancel.error || pay.error) && <ErrorNotice error={cancel.error ?? pay.error} />}
      <div className="row">
        {o.status === 'pending' && <Button busy={pay.isPending} onClick={() => pay.mutate(o.id)}>Pay now</Button>}
        {cancellable && (
          <Button variant="danger" data-testid="cancel-order" busy={cancel.isPending} onClick={() => cancel.mutate(o.id)}>
            Cancel order
          </Button>
        )}
      </div>
      <h2>History</h2>
      <ol className="plain">
        {o.history.map((h, n) => (
          <li key={n}>{formatDate(h.at)}: {h.from ?? 'new'} → {h.to} ({h.actor})</li>
        ))}
      </ol>
    </section>
  );
}
