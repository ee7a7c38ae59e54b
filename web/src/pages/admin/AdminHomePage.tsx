import { Link } from 'react-router-dom';

const LINKS: [string, string][] = [
  ['users', 'Roles, tiers, disabling accounts'],
  ['products', 'The catalog, with concurrent edits caught'],
  ['orders', 'Moving orders through their states'],
  ['flags', 'Feature flags and their rollout'],
  ['webhooks', 'Endpoints and their delivery logs'],
  ['events', 'Dead letters and replays'],
  ['mailbox', 'Mail the app sent'],
  ['stats', 'Users, orders and revenue per day'],
  ['health', 'Every dependency, live'],
];

export function AdminHomePage() {
  return (
    <section>
      <h1>Admin</h1>
      <div className="grid">
        {LINKS.map(([path, text]) => (
          <Link key={path} to={`/admin/${path}`} className="card tile">
            <strong>{path[0]?.toUpperCase() + path.slice(1)}</strong>
            <span className="muted">{text}</span>
          </Link>
        ))}
      </div>
    </section>
  );
}
