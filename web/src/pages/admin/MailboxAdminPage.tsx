import { useState } from 'react';
import { useMailbox } from '../../api/admin';
import type { Mail } from '../../api/types';
import { Input } from '../../components/atoms/Input';
import { Spinner } from '../../components/atoms/Spinner';
import { ErrorNotice } from '../../components/molecules/ErrorNotice';
import { Pagination } from '../../components/molecules/Pagination';
import { formatDate } from '../../lib/format';

/** The embedded mailbox (no SMTP configured): what the app would have sent. */
export function MailboxAdminPage() {
  const [to, setTo] = useState('');
  const [page, setPage] = useState(1);
  const [open, setOpen] = useState<Mail | null>(null);
  const mails = useMailbox({ to: to || undefined, page, limit: 20 });
  return (
    <section>
      <h1>Mailbox</h1>
      <label className="sr-only" htmlFor="mail-to">Recipient</label>
      <Input id="mail-to" type="search" placeholder="Filter by recipient" value={to} onChange={(e) => { setTo(e.target.value); setPage(1); }} />
      {mails.isError && <ErrorNotice error={mails.error} />}
      {mails.isPending ? <Spinner /> : mails.data && (
        <>
          <table className="table">
            <thead><tr><th>To</th><th>Subject</th><th>Sent</th></tr></thead>
            <tbody>
              {mails.data.data.map((m) => (
                <tr key={m.id} data-testid="mail-row">
                  <td>{m.to}</td>
                  <td><button type="button" className="link" onClick={() => setOpen(m)}>{m.subject}</button></td>
                  <td>{formatDate(m.sentAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pagination meta={mails.data.meta} onPage={setPage} />
        </>
      )}
      {open && (
        <article className="card">
          <h2>{open.subject}</h2>
          <p className="muted">To {open.to}</p>
          {/* The text part: the HTML part is not rendered, so nothing in a mail runs here. */}
          <pre className="mail-text">{open.text}</pre>
        </article>
      )}
    </section>
  );
}
