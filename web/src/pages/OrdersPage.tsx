import { Link, useSearchParams } from 'react-router-dom';
import { useOrders } from '../api/orders';
import { Badge, statusTone } from '../components/atoms/Badge';
import { Spinner } from '../components/atoms/Spinner';
import { ErrorNotice } from '../components/molecules/ErrorNotice';
import { Pagination } from '../components/molecules/Pagination';
import { formatDate, formatMoney } from '../lib/format';

export function OrdersPage() {
  const [params, setParams] = useSearchParams();
  const page = Number(params.get('page') ?? '1') || 1;
  const orders = useOrders(page);
  if (orders.isPending) return <Spinner />;
  if (orders.isError) return <ErrorNotice error={orders.error} />;
  return (
    <section>
      <h1>Your orders</h1>
      {orders.data.data.length === 0 ? (
        <p>No orders yet. <Link to="/">Find something you like</Link></p>
      ) : (
        <table className="table">
          <thead><tr><th>Order</th><th>Placed</th><th>Items</th><th>Total</th><th>Status</th></tr></thead>
          <tbody>
            {orders.data.data.map((o) => (
              <tr key={o.id} data-testid="order-row">
                <td><Link to={`/orders/${o.id}`}>#{o.id.slice(-8)}</Link></td>
                <td>{formatDate(o.createdAt)}</td>
                <td>{o.items.reduce((n, i) => n + i.quantity, 0)}</td>
                <td>{formatMoney(o.total)}</td>
                <td><Badge tone={statusTone(o.status)}>{o.status}</Badge></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pagination meta={orders.data.meta} onPage={(n) => setParams({ page: String(n) })} />
    </section>
  );
}
