import { Route, Routes } from 'react-router-dom';
import { AdminLayout } from '../../components/templates/AdminLayout';
import { AdminHomePage } from './AdminHomePage';
import { EventsAdminPage } from './EventsAdminPage';
import { FlagsAdminPage } from './FlagsAdminPage';
import { HealthAdminPage } from './HealthAdminPage';
import { MailboxAdminPage } from './MailboxAdminPage';
import { OrdersAdminPage } from './OrdersAdminPage';
import { ProductsAdminPage } from './ProductsAdminPage';
import { StatsAdminPage } from './StatsAdminPage';
import { UsersAdminPage } from './UsersAdminPage';
import { WebhooksAdminPage } from './WebhooksAdminPage';

export default function AdminRoutes() {
  return (
    <Routes>
      <Route element={<AdminLayout />}>
        <Route index element={<AdminHomePage />} />
        <Route path="users" element={<UsersAdminPage />} />
        <Route path="products" element={<ProductsAdminPage />} />
        <Route path="orders" element={<OrdersAdminPage />} />
        <Route path="flags" element={<FlagsAdminPage />} />
        <Route path="webhooks" element={<WebhooksAdminPage />} />
        <Route path="events" element={<EventsAdminPage />} />
        <Route path="mailbox" element={<MailboxAdminPage />} />
        <Route path="stats" element={<StatsAdminPage />} />
        <Route path="health" element={<HealthAdminPage />} />
      </Route>
    </Routes>
  );
}
