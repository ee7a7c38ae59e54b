import { useState } from 'react';
import { describeError } from '../../api/client';
import { useAdminOrders, useTransitionOrder } from '../../api/admin';
import { Badge, statusTone } from '../../components/atoms/Badge';
import { Button } from '../../components/atoms/Button';
import { Spinner } from '../../components/atoms/Spinner';
import { ErrorNotice } from '../../components/molecules/ErrorNotice';
import { Pagination } from '../../components/molecules/Pagination';
import { formatDate, formatMoney } from '../../lib/format';
import { useToast } from '../../state/ui';

/** The state machine of ADR 0016: what an admin may move each status to. */
const NEXT: Record<string, string[]> = {
  pending: ['paid', 'cancelled'],
  paid: ['shipped', 'cancelled'],
  shipped: ['delivered'],
  delivered: ['refunded'],
};

export function OrdersAdminPage() {
  const [status, setStatus] = useState('');
  const [page, setPage] = useState(1);
  const orders = useAdminOrders({ status: status || undefined, page, limit: 20 });
  const transition = useTransitionOrder();
  const toast = useToast();
  return (
    <section>
      <h1>Orders</h1>
      <label>
        Status{' '}
        <select className="input" value={status} onChange={(e) => { setStatus(e.target.value); setPage(1); }}>
          <option value="">any</option>
          {['pending', 'paid', 'shipped', 'delivered', 'cancelled', 'refunded'].map((s) => <option key={s}>{s}</option>)}
        </select>
      </label>
      {orders.isError && <ErrorNotice error={orders.error} />}
      {orders.isPending ? <Spinner /> : orders.data && (
        <>
          <table className="table">
            <thead><tr><th>Order</th><th>Placed</th><th>Total</th><th>Status</th><th>Move to</th></tr></thead>
            <tbody>
              {orders.data.data.map((o) => (
                <tr key={o.id}>
                  <td>#{o.id.slice(-8)}</td><td>{formatDate(o.createdAt)}</td><td>{formatMoney(o.total)}</td>
                  <td><Badge tone={statusTone(o.status)}>{o.status}</Badge></td>
                  <td className="row">
                    {(NEXT[o.status] ?? []).map((to) => (
                      <Button key={to} variant="secondary" onClick={() => transition.mutate({ id: o.id, to }, { onError: (e) => toast.error(describeError(e)) })}>{to}</Button>
                    ))}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pagination meta={orders.data.meta} onPage={setPage} />
        </>
      )}
    </section>
  );
}
