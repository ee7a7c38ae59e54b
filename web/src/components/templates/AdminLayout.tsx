import { NavLink, Outlet } from 'react-router-dom';

const SECTIONS = ['users', 'products', 'orders', 'flags', 'webhooks', 'events', 'mailbox', 'stats', 'health'] as const;

export function AdminLayout() {
  return (
    <div className="admin">
      <nav aria-label="Admin" className="admin-nav">
        <NavLink to="/admin" end>Overview</NavLink>
        {SECTIONS.map((s) => (
          <NavLink key={s} to={`/admin/${s}`}>{s[0]?.toUpperCase() + s.slice(1)}</NavLink>
        ))}
      </nav>
      <div className="admin-body">
        <Outlet />
      </div>
    </div>
  );
}
