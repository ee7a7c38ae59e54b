import { useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router-dom';
import { ApiError } from '../api/client';
import { useRegister } from '../api/identity';
import { Button } from '../components/atoms/Button';
import { ErrorNotice } from '../components/molecules/ErrorNotice';
import { FormField } from '../components/molecules/FormField';
import { validateRegistration, type FieldErrors, type RegisterFields } from '../lib/validation';

export function RegisterPage() {
  const [fields, setFields] = useState<RegisterFields>({ email: '', password: '', confirmPassword: '', name: '' });
  const [errors, setErrors] = useState<FieldErrors<RegisterFields>>({});
  const register = useRegister();
  const navigate = useNavigate();
  const set = (key: keyof RegisterFields) => (e: { target: { value: string } }) => setFields({ ...fields, [key]: e.target.value });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const found = validateRegistration(fields);
    setErrors(found);
    if (Object.keys(found).length > 0) return;
    register.mutate(
      { email: fields.email.trim(), password: fields.password, name: fields.name.trim() },
      {
        onSuccess: () => navigate('/verify-email', { state: { email: fields.email.trim() } }),
        onError: (error) => {
          if (error instanceof ApiError && error.code === 'email_taken') setErrors({ email: 'Email already registered' });
          else if (error instanceof ApiError && error.details.length > 0)
            setErrors(Object.fromEntries(error.details.map((d) => [d.field, d.message])));
        },
      },
    );
  };

  const serverError = register.error instanceof ApiError && (register.error.code === 'email_taken' || register.error.details.length > 0) ? null : register.error;
  return (
    <section className="auth card">
      <h1>Create your account</h1>
      <form onSubmit={submit} noValidate>
        <FormField label="Name" testId="name-input" autoComplete="name" value={fields.name} onChange={set('name')} error={errors.name} />
        <FormField label="Email" testId="email-input" type="email" autoComplete="email" value={fields.email} onChange={set('email')} error={errors.email} />
        <FormField label="Password" testId="password-input" type="password" autoComplete="new-password" value={fields.password} onChange={set('password')} error={errors.password} />
        <FormField label="Confirm password" testId="confirm-password-input" type="password" autoComplete="new-password" value={fields.confirmPassword} onChange={set('confirmPassword')} error={errors.confirmPassword} />
        {serverError && <ErrorNotice error={serverError} />}
        <Button type="submit" data-testid="register-button" busy={register.isPending} className="wide">
          Create account
        </Button>
      </form>
      <p className="muted">
        Already have an account? <Link to="/login">Log in</Link>
      </p>
    </section>
  );
}
