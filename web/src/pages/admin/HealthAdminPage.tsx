import { useReadiness } from '../../api/admin';
import { Badge } from '../../components/atoms/Badge';
import { Spinner } from '../../components/atoms/Spinner';
import { ErrorNotice } from '../../components/molecules/ErrorNotice';

export function HealthAdminPage() {
  const ready = useReadiness();
  if (ready.isPending) return <Spinner />;
  if (ready.isError) return <ErrorNotice error={ready.error} />;
  const { status, checks } = ready.data.body;
  return (
    <section>
      <h1>Service health</h1>
      <p>Overall: <Badge tone={ready.data.ok ? 'good' : 'bad'}>{status}</Badge> <span className="muted">(refreshed every 10 s)</span></p>
      <table className="table">
        <thead><tr><th>Check</th><th>Status</th><th>Latency</th><th>Reason</th></tr></thead>
        <tbody>
          {Object.entries(checks).map(([name, check]) => (
            <tr key={name}>
              <td>{name}</td>
              <td><Badge tone={check.status === 'up' ? 'good' : check.status === 'degraded' ? 'warn' : 'bad'}>{check.status}</Badge></td>
              <td>{check.latencyMs != null ? `${check.latencyMs} ms` : '—'}</td>
              <td>{check.reason ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
