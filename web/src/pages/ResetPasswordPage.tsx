import { useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { useResetPassword } from '../api/identity';
import { Button } from '../components/atoms/Button';
import { ErrorNotice } from '../components/molecules/ErrorNotice';
import { FormField } from '../components/molecules/FormField';
import { validatePassword } from '../lib/validation';

export function ResetPasswordPage() {
  const [params] = useSearchParams();
  const token = params.get('token') ?? '';
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [errors, setErrors] = useState<{ password?: string; confirm?: string }>({});
  const reset = useResetPassword();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const found = { password: validatePassword(password), confirm: password !== confirm ? 'Passwords do not match' : undefined };
    setErrors(found);
    if (!found.password && !found.confirm) reset.mutate({ token, password });
  };
  if (reset.isSuccess) {
    return (
      <section className="auth card">
        <h1>Password changed</h1>
        <p>Every session was signed out.</p>
        <Link to="/login" className="btn btn-primary">Log in</Link>
      </section>
    );
  }
  return (
    <section className="auth card">
      <h1>Choose a new password</h1>
      {!token && <p className="notice notice-error">This page needs the link from the reset email.</p>}
      <form onSubmit={submit} noValidate>
        <FormField label="New password" testId="password-input" type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} error={errors.password} />
        <FormField label="Confirm password" testId="confirm-password-input" type="password" autoComplete="new-password" value={confirm} onChange={(e) => setConfirm(e.target.value)} error={errors.confirm} />
        {reset.error && <ErrorNotice error={reset.error} />}
        <Button type="submit" busy={reset.isPending} disabled={!token} className="wide">Change password</Button>
      </form>
    </section>
  );
}
