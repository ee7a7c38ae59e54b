import { lazy } from 'react';
import { Route, Routes } from 'react-router-dom';
import { Layout } from './components/templates/Layout';
import { RequireAuth } from './components/templates/RequireAuth';
import { AccountPage } from './pages/AccountPage';
import { CartPage } from './pages/CartPage';
import { CheckoutPage } from './pages/CheckoutPage';
import { ForgotPasswordPage } from './pages/ForgotPasswordPage';
import { LoginPage } from './pages/LoginPage';
import { NotFoundPage } from './pages/NotFoundPage';
import { OrderPage } from './pages/OrderPage';
import { OrdersPage } from './pages/OrdersPage';
import { ProductPage } from './pages/ProductPage';
import { RegisterPage } from './pages/RegisterPage';
import { ResetPasswordPage } from './pages/ResetPasswordPage';
import { StorefrontPage } from './pages/StorefrontPage';
import { VerifyEmailPage } from './pages/VerifyEmailPage';

// The admin portal and the blog (with Apollo) load on demand: the storefront's first load
// carries neither.
const AdminRoutes = lazy(() => import('./pages/admin/AdminRoutes'));
const BlogRoutes = lazy(() => import('./pages/blog/BlogRoutes'));

const auth = (page: JSX.Element) => <RequireAuth>{page}</RequireAuth>;

export function App() {
  return (
    <Routes>
      <Route element={<Layout />}>
        <Route index element={<StorefrontPage />} />
        <Route path="products/:id" element={<ProductPage />} />
        <Route path="cart" element={auth(<CartPage />)} />
        <Route path="checkout" element={auth(<CheckoutPage />)} />
        <Route path="orders" element={auth(<OrdersPage />)} />
        <Route path="orders/:id" element={auth(<OrderPage />)} />
        <Route path="register" element={<RegisterPage />} />
        <Route path="login" element={<LoginPage />} />
        <Route path="verify-email" element={<VerifyEmailPage />} />
        <Route path="forgot-password" element={<ForgotPasswordPage />} />
        <Route path="reset-password" element={<ResetPasswordPage />} />
        <Route path="account" element={auth(<AccountPage />)} />
        <Route path="blog/*" element={<BlogRoutes />} />
        <Route path="admin/*" element={<RequireAuth admin><AdminRoutes /></RequireAuth>} />
        <Route path="*" element={<NotFoundPage />} />
      </Route>
    </Routes>
  );
}
