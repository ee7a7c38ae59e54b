import { useState } from 'react';
import { describeError } from '../../api/client';
import { useDeadLetters, useReplay } from '../../api/admin';
import { Button } from '../../components/atoms/Button';
import { Spinner } from '../../components/atoms/Spinner';
import { ErrorNotice } from '../../components/molecules/ErrorNotice';
import { Pagination } from '../../components/molecules/Pagination';
import { formatDate } from '../../lib/format';
import { useToast } from '../../state/ui';

export function EventsAdminPage() {
  const [page, setPage] = useState(1);
  const dead = useDeadLetters(page);
  const replay = useReplay();
  const toast = useToast();
  if (dead.isPending) return <Spinner />;
  if (dead.isError) return <ErrorNotice error={dead.error} />;
  return (
    <section>
      <h1>Dead letters</h1>
      {dead.data.data.length === 0 ? <p className="muted">No dead letters: every consumer is keeping up.</p> : (
        <table className="table">
          <thead><tr><th>Event</th><th>Consumer</th><th>Attempts</th><th>Last error</th><th>Dead since</th><th /></tr></thead>
          <tbody>
            {dead.data.data.map((d) => (
              <tr key={d.id}>
                <td>{String((d.event as { type?: string }).type ?? '')}</td><td>{d.consumer}</td><td>{d.attempts}</td>
                <td className="clamp">{d.lastError}</td><td>{formatDate(d.deadAt)}</td>
                <td><Button variant="secondary" onClick={() => replay.mutate(d.id, { onSuccess: () => toast.success('Replay queued'), onError: (e) => toast.error(describeError(e)) })}>Replay</Button></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pagination meta={dead.data.meta} onPage={setPage} />
    </section>
  );
}
