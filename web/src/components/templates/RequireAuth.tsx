import type { ReactNode } from 'react';
import { Navigate, useLocation } from 'react-router-dom';
import { isAdmin, useSession } from '../../state/session';

/** Pages for signed-in people (or admins); others go to the login page and come back after. */
export function RequireAuth({ admin = false, children }: { admin?: boolean; children: ReactNode }) {
  const user = useSession((s) => s.user);
  const location = useLocation();
  if (!user) return <Navigate to="/login" replace state={{ from: location.pathname + location.search }} />;
  if (admin && !isAdmin(user)) return <p className="notice notice-error">This page is for administrators.</p>;
  return <>{children}</>;
}
