import { useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router-dom';
import { useChangePassword, useLogout, useMe, useUpdateMe } from '../api/identity';
import { Button } from '../components/atoms/Button';
import { Spinner } from '../components/atoms/Spinner';
import { ErrorNotice } from '../components/molecules/ErrorNotice';
import { FormField } from '../components/molecules/FormField';
import { validateName, validatePassword } from '../lib/validation';
import { useToast } from '../state/ui';

export function AccountPage() {
  const me = useMe();
  if (me.isPending) return <Spinner />;
  if (me.isError) return <ErrorNotice error={me.error} />;
  return (
    <section className="stack">
      <h1>Your account</h1>
      <p className="muted">
        {me.data.email} · {me.data.role} · {me.data.tier} tier · {me.data.isVerified ? 'verified' : 'not verified'}
      </p>
      <Profile name={me.data.name} age={me.data.age ?? null} />
      <ChangePassword />
      <Sessions />
    </section>
  );
}

function Profile({ name: initialName, age: initialAge }: { name: string; age: number | null }) {
  const [name, setName] = useState(initialName);
  const [age, setAge] = useState(initialAge?.toString() ?? '');
  const [error, setError] = useState<string>();
  const update = useUpdateMe();
  const toast = useToast();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const problem = validateName(name);
    setError(problem);
    if (!problem) update.mutate({ name: name.trim(), age: age ? Number(age) : null }, { onSuccess: () => toast.success('Profile saved') });
  };
  return (
    <form className="card" onSubmit={submit} noValidate>
      <h2>Profile</h2>
      <FormField label="Name" value={name} onChange={(e) => setName(e.target.value)} error={error} />
      <FormField label="Age (optional)" type="number" min={1} max={120} value={age} onChange={(e) => setAge(e.target.value)} />
      {update.error && <ErrorNotice error={update.error} />}
      <Button type="submit" busy={update.isPending}>Save</Button>
    </form>
  );
}

function ChangePassword() {
  const [currentPassword, setCurrent] = useState('');
  const [newPassword, setNew] = useState('');
  const [error, setError] = useState<string>();
  const change = useChangePassword();
  const toast = useToast();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const problem = validatePassword(newPassword);
    setError(problem);
    if (!problem)
      change.mutate({ currentPassword, newPassword }, {
        onSuccess: () => {
          toast.success('Password changed');
          setCurrent('');
          setNew('');
        },
      });
  };
  return (
    <form className="card" onSubmit={submit} noValidate>
      <h2>Change password</h2>
      <FormField label="Current password" type="password" autoComplete="current-password" value={currentPassword} onChange={(e) => setCurrent(e.target.value)} />
      <FormField label="New password" type="password" autoComplete="new-password" value={newPassword} onChange={(e) => setNew(e.target.value)} error={error} />
      {change.error && <ErrorNotice error={change.error} />}
      <Button type="submit" busy={change.isPending}>Change password</Button>
    </form>
  );
}

function Sessions() {
  const logout = useLogout();
  const navigate = useNavigate();
  return (
    <div className="card">
      <h2>Session</h2>
      <p>Signing out revokes this session's tokens on the server. Changing or resetting your password signs out every other session.</p>
      <Button variant="secondary" busy={logout.isPending} onClick={() => logout.mutate(undefined, { onSettled: () => navigate('/login') })}>
        Sign out
      </Button>
    </div>
  );
}
