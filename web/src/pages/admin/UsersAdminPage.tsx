import { useState } from 'react';
import { describeError } from '../../api/client';
import { useAdminUsers, useUpdateUser } from '../../api/admin';
import { Input } from '../../components/atoms/Input';
import { Spinner } from '../../components/atoms/Spinner';
import { ErrorNotice } from '../../components/molecules/ErrorNotice';
import { Pagination } from '../../components/molecules/Pagination';
import { useToast } from '../../state/ui';

export function UsersAdminPage() {
  const [q, setQ] = useState('');
  const [page, setPage] = useState(1);
  const users = useAdminUsers({ q: q || undefined, page, limit: 20 });
  const update = useUpdateUser();
  const toast = useToast();
  const change = (id: string, email: string, body: { role?: string; tier?: string; disabled?: boolean }) =>
    update.mutate({ id, ...body }, { onSuccess: () => toast.success(`${email} updated`), onError: (e) => toast.error(describeError(e)) });
  return (
    <section>
      <h1>Users</h1>
      <label className="sr-only" htmlFor="user-search">Search users</label>
      <Input id="user-search" type="search" placeholder="Search by email or name" value={q} onChange={(e) => { setQ(e.target.value); setPage(1); }} />
      {users.isError && <ErrorNotice error={users.error} />}
      {users.isPending ? <Spinner /> : users.data && (
        <>
          <table className="table">
            <thead><tr><th>User</th><th>Role</th><th>Tier</th><th>Disabled</th></tr></thead>
            <tbody>
              {users.data.data.map((u) => (
                <tr key={u.id} data-testid="user-row">
                  <td>{u.name}<br /><span className="muted">{u.email}</span></td>
                  <td>
                    <select className="input" aria-label={`Role of ${u.email}`} value={u.role} onChange={(e) => change(u.id, u.email, { role: e.target.value })}>
                      <option value="user">user</option><option value="admin">admin</option>
                    </select>
                  </td>
                  <td>
                    <select className="input" aria-label={`Tier of ${u.email}`} data-testid="tier-select" value={u.tier} onChange={(e) => change(u.id, u.email, { tier: e.target.value })}>
                      <option value="free">free</option><option value="pro">pro</option><option value="enterprise">enterprise</option>
                    </select>
                  </td>
                  <td>
                    <input type="checkbox" aria-label={`Disable ${u.email}`} checked={u.disabled} onChange={(e) => change(u.id, u.email, { disabled: e.target.checked })} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pagination meta={users.data.meta} onPage={setPage} />
        </>
      )}
    </section>
  );
}
