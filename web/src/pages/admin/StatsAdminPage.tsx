import { useStats } from '../../api/admin';
import { Spinner } from '../../components/atoms/Spinner';
import { BarChart } from '../../components/molecules/BarChart';
import { ErrorNotice } from '../../components/molecules/ErrorNotice';
import { formatMoney } from '../../lib/format';

export function StatsAdminPage() {
  const stats = useStats();
  if (stats.isPending) return <Spinner />;
  if (stats.isError) return <ErrorNotice error={stats.error} />;
  const { usersByDay, ordersByDay, topProducts } = stats.data;
  return (
    <section className="stack">
      <h1>Stats (last 30 days)</h1>
      <div className="card">
        <h2>Orders per day</h2>
        <BarChart label="Orders per day" points={ordersByDay.map((d) => ({ label: d.day, value: d.count, title: `${d.day}: ${d.count} orders, ${formatMoney(d.revenue)}` }))} />
      </div>
      <div className="card">
        <h2>New users per day</h2>
        <BarChart label="New users per day" points={usersByDay.map((d) => ({ label: d.day, value: d.count, title: `${d.day}: ${d.count} users` }))} />
      </div>
      <div className="card">
        <h2>Top products</h2>
        <ol>{topProducts.map((p) => <li key={p.productId}>{p.name} — {p.quantity} sold</li>)}</ol>
      </div>
    </section>
  );
}
