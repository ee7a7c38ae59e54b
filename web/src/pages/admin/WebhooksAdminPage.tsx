import { useState, type FormEvent } from 'react';
import { describeError } from '../../api/client';
import { useCreateWebhook, useDeleteWebhook, useDeliveries, useTestWebhook, useWebhooks } from '../../api/admin';
import { Badge } from '../../components/atoms/Badge';
import { Button } from '../../components/atoms/Button';
import { Spinner } from '../../components/atoms/Spinner';
import { ErrorNotice } from '../../components/molecules/ErrorNotice';
import { FormField } from '../../components/molecules/FormField';
import { formatDate } from '../../lib/format';
import { useToast } from '../../state/ui';

const EVENTS = ['user.created', 'order.placed', 'order.status_changed', 'post.published'];

export function WebhooksAdminPage() {
  const hooks = useWebhooks();
  const [selected, setSelected] = useState<string | null>(null);
  const remove = useDeleteWebhook();
  const test = useTestWebhook();
  const toast = useToast();
  const onError = { onError: (e: unknown) => toast.error(describeError(e)) };
  return (
    <section className="stack">
      <h1>Webhooks</h1>
      <NewWebhook />
      {hooks.isError && <ErrorNotice error={hooks.error} />}
      {hooks.isPending ? <Spinner /> : hooks.data && (
        <table className="table">
          <thead><tr><th>URL</th><th>Events</th><th>Enabled</th><th><span className="sr-only">Actions</span></th></tr></thead>
          <tbody>
            {hooks.data.data.map((h) => (
              <tr key={h.id}>
                <td>{h.url}</td><td>{h.events.join(', ')}</td><td>{h.enabled ? 'yes' : 'no'}</td>
                <td className="row">
                  <Button variant="ghost" onClick={() => setSelected(h.id)}>Deliveries</Button>
                  <Button variant="ghost" onClick={() => test.mutate(h.id, { ...onError, onSuccess: () => toast.info('Test message queued') })}>Test</Button>
                  <Button variant="ghost" onClick={() => remove.mutate(h.id, onError)}>Delete</Button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {selected && <Deliveries id={selected} />}
    </section>
  );
}

function NewWebhook() {
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState<string[]>(['order.placed']);
  const [secret, setSecret] = useState<string | null>(null);
  const create = useCreateWebhook();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate({ url, events, description: '' }, { onSuccess: (hook) => { setSecret(hook.secret ?? null); setUrl(''); } });
  };
  return (
    <form className="card" onSubmit={submit} noValidate>
      <h2>New webhook</h2>
      <FormField label="Endpoint URL" type="url" value={url} onChange={(e) => setUrl(e.target.value)} />
      <fieldset className="row">
        <legend>Events</legend>
        {EVENTS.map((name) => (
          <label key={name} className="row">
            <input type="checkbox" checked={events.includes(name)} onChange={(e) => setEvents(e.target.checked ? [...events, name] : events.filter((x) => x !== name))} /> {name}
          </label>
        ))}
      </fieldset>
      {create.error && <ErrorNotice error={create.error} />}
      {secret && <p className="notice notice-ok" role="status">Signing secret (shown once): <code>{secret}</code></p>}
      <Button type="submit" busy={create.isPending}>Create</Button>
    </form>
  );
}

function Deliveries({ id }: { id: string }) {
  const deliveries = useDeliveries(id);
  if (deliveries.isPending) return <Spinner />;
  if (deliveries.isError) return <ErrorNotice error={deliveries.error} />;
  return (
    <div className="card">
      <h2>Deliveries</h2>
      {deliveries.data.data.length === 0 ? <p className="muted">No deliveries yet.</p> : (
        <table className="table">
          <thead><tr><th>At</th><th>Event</th><th>Status</th><th>Code</th><th>Attempt</th><th>ms</th></tr></thead>
          <tbody>
            {deliveries.data.data.map((d) => (
              <tr key={`${d.messageId}-${d.attempt}`}>
                <td>{formatDate(d.at)}</td><td>{d.event}</td>
                <td><Badge tone={d.status === 'succeeded' ? 'good' : 'bad'}>{d.status}</Badge></td>
                <td>{d.responseCode ?? '—'}</td><td>{d.attempt}</td><td>{d.durationMs}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
