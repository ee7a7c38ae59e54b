import { useState, type FormEvent } from 'react';
import { useForgotPassword } from '../api/identity';
import { Button } from '../components/atoms/Button';
import { ErrorNotice } from '../components/molecules/ErrorNotice';
import { FormField } from '../components/molecules/FormField';
import { validateEmail } from '../lib/validation';

export function ForgotPasswordPage() {
  const [email, setEmail] = useState('');
  const [error, setError] = useState<string>();
  const forgot = useForgotPassword();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const problem = validateEmail(email);
    setError(problem);
    if (!problem) forgot.mutate(email.trim());
  };
  return (
    <section className="auth card">
      <h1>Forgot your password?</h1>
      {forgot.isSuccess ? (
        <p role="status">If an account exists for {email}, we sent a link to reset its password.</p>
      ) : (
        <form onSubmit={submit} noValidate>
          <FormField label="Email" testId="email-input" type="email" value={email} onChange={(e) => setEmail(e.target.value)} error={error} />
          {forgot.error && <ErrorNotice error={forgot.error} />}
          <Button type="submit" busy={forgot.isPending} className="wide">Send reset link</Button>
        </form>
      )}
    </section>
  );
}
