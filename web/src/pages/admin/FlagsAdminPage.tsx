import { useState } from 'react';
import { describeError } from '../../api/client';
import { useAdminFlags, useUpdateFlag } from '../../api/admin';
import type { FeatureFlag } from '../../api/types';
import { Button } from '../../components/atoms/Button';
import { Spinner } from '../../components/atoms/Spinner';
import { ErrorNotice } from '../../components/molecules/ErrorNotice';
import { useToast } from '../../state/ui';

export function FlagsAdminPage() {
  const flags = useAdminFlags();
  if (flags.isPending) return <Spinner />;
  if (flags.isError) return <ErrorNotice error={flags.error} />;
  return (
    <section>
      <h1>Feature flags</h1>
      <div className="stack">
        {flags.data.data.map((f) => <FlagCard key={`${f.key}-${f.updatedAt}`} flag={f} />)}
      </div>
    </section>
  );
}

function FlagCard({ flag }: { flag: FeatureFlag }) {
  const [percent, setPercent] = useState(flag.rolloutPercent);
  const update = useUpdateFlag();
  const toast = useToast();
  const save = (change: { enabled?: boolean; rolloutPercent?: number }) =>
    update.mutate({ key: flag.key, change }, { onSuccess: () => toast.success(`${flag.key} saved`), onError: (e) => toast.error(describeError(e)) });
  return (
    <article className="card" data-testid="flag-card">
      <div className="row between">
        <h2>{flag.key}</h2>
        <label className="row">
          <input type="checkbox" checked={flag.enabled} onChange={(e) => save({ enabled: e.target.checked })} /> Enabled
        </label>
      </div>
      <p className="muted">{flag.description}</p>
      <label htmlFor={`rollout-${flag.key}`}>Rollout: <output data-testid="rollout-value">{percent}%</output></label>
      <div className="row">
        <input id={`rollout-${flag.key}`} type="range" min={0} max={100} step={1} value={percent} data-testid="rollout-slider" onChange={(e) => setPercent(Number(e.target.value))} />
        <Button data-testid="rollout-save" disabled={percent === flag.rolloutPercent} busy={update.isPending} onClick={() => save({ rolloutPercent: percent })}>
          Save rollout
        </Button>
      </div>
    </article>
  );
}
