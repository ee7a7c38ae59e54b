import { Link } from 'react-router-dom';

export function NotFoundPage() {
  return (
    <section className="auth card">
      <h1>Page not found</h1>
      <p><Link to="/">Back to the shop</Link></p>
    </section>
  );
}
