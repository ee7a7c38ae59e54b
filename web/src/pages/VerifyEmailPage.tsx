import { useEffect, useRef } from 'react';
import { Link, useLocation, useSearchParams } from 'react-router-dom';
import { useVerifyEmail } from '../api/identity';
import { Spinner } from '../components/atoms/Spinner';
import { ErrorNotice } from '../components/molecules/ErrorNotice';

/** After sign-up: "check your email". From the mailed link (`?token=…`): verifies, offers login. */
export function VerifyEmailPage() {
  const [params] = useSearchParams();
  const token = params.get('token');
  const email = (useLocation().state as { email?: string } | null)?.email;
  const verify = useVerifyEmail();
  const sent = useRef(false);
  useEffect(() => {
    // The token is single use: exactly one request, even under StrictMode's double effects.
    if (token && !sent.current) {
      sent.current = true;
      verify.mutate(token);
    }
  }, [token, verify]);

  if (!token) {
    return (
      <section className="auth card">
        <h1>Please check your email</h1>
        <p>We sent a verification link{email ? ` to ${email}` : ''}. Open it to activate your account.</p>
      </section>
    );
  }
  return (
    <section className="auth card">
      <h1>Verify your email</h1>
      {verify.isPending && <Spinner label="Verifying" />}
      {verify.isSuccess && (
        <>
          <p className="notice notice-ok" role="status">Your email is verified.</p>
          <Link to="/login" className="btn btn-primary" data-testid="verified-login">Log in</Link>
        </>
      )}
      {verify.isError && <ErrorNotice error={verify.error} />}
    </section>
  );
}
