import { useState, type FormEvent } from 'react';
import { Link, useLocation, useNavigate } from 'react-router-dom';
import { ApiError } from '../api/client';
import { useLogin } from '../api/identity';
import { Button } from '../components/atoms/Button';
import { ErrorNotice } from '../components/molecules/ErrorNotice';
import { FormField } from '../components/molecules/FormField';

export function LoginPage() {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const login = useLogin();
  const navigate = useNavigate();
  const from = (useLocation().state as { from?: string } | null)?.from ?? '/';

  const submit = (event: FormEvent) => {
    event.preventDefault();
    login.mutate({ email: email.trim(), password }, { onSuccess: () => navigate(from, { replace: true }) });
  };
  const failed = login.error instanceof ApiError && (login.error.status === 401 || login.error.status === 400);
  return (
    <section className="auth card">
      <h1>Log in</h1>
      <form onSubmit={submit} noValidate>
        <FormField label="Email" testId="email-input" type="email" autoComplete="email" value={email} onChange={(e) => setEmail(e.target.value)} />
        <FormField label="Password" testId="password-input" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} />
        {failed && (
          <p className="notice notice-error" role="alert">
            Invalid email or password
          </p>
        )}
        {login.error && !failed && <ErrorNotice error={login.error} />}
        <Button type="submit" data-testid="login-button" busy={login.isPending} className="wide">
          Log in
        </Button>
      </form>
      <p className="muted">
        <Link to="/forgot-password">Forgot your password?</Link> · <Link to="/register">Create an account</Link>
      </p>
    </section>
  );
}
