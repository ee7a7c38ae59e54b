import { Suspense } from 'react';
import { Outlet } from 'react-router-dom';
import { Spinner } from '../atoms/Spinner';
import { Toasts } from '../molecules/Toasts';
import { Header } from '../organisms/Header';

export function Layout() {
  return (
    <>
      <Header />
      <main id="main" className="container">
        <Suspense fallback={<Spinner />}>
          <Outlet />
        </Suspense>
      </main>
      <footer className="footer container muted">
        Agora · <a href="/api/docs/">API</a> · <a href="/graphql">GraphiQL</a>
      </footer>
      <Toasts />
    </>
  );
}
