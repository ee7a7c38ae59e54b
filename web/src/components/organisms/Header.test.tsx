import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter } from 'react-router-dom';
import type { User } from '../../api/types';
import { useSession } from '../../state/session';
import { UiProvider } from '../../state/ui';
import { Header } from './Header';

const user: User = { id: 'u1', email: 'ann@example.org', name: 'Ann', role: 'user', tier: 'free', isVerified: true, disabled: false, createdAt: '', updatedAt: '', age: null, profile: {} };

function renderHeader() {
  const client = new QueryClient();
  client.setQueryData(['cart'], { items: [{ productId: 'p', name: 'Tent', quantity: 2, available: true, unitPrice: null, lineTotal: null }], total: null });
  return render(
    <QueryClientProvider client={client}>
      <MemoryRouter future={{ v7_startTransition: true, v7_relativeSplatPath: true }}>
        <UiProvider>
          <Header />
        </UiProvider>
      </MemoryRouter>
    </QueryClientProvider>,
  );
}

describe('Header', () => {
  beforeEach(() => useSession.getState().logout());

  it('offers login and sign-up to visitors', () => {
    renderHeader();
    expect(screen.getByRole('link', { name: 'Log in' })).toBeInTheDocument();
    expect(screen.queryByTestId('user-menu')).not.toBeInTheDocument();
  });

  it("shows the signed-in person's name, the cart count and a logout button", () => {
    useSession.getState().signIn({ accessToken: 'a', refreshToken: 'r', tokenType: 'Bearer', expiresIn: 900, user });
    renderHeader();
    expect(screen.getByTestId('user-menu')).toHaveTextContent('Ann');
    expect(screen.getByTestId('cart-count')).toHaveTextContent('2');
    expect(screen.getByTestId('logout-button')).toBeInTheDocument();
    expect(screen.queryByRole('link', { name: 'Admin' })).not.toBeInTheDocument();
  });

  it('toggles the theme on the document', async () => {
    renderHeader();
    const before = document.documentElement.dataset.theme;
    await userEvent.click(screen.getByTestId('theme-toggle'));
    expect(document.documentElement.dataset.theme).not.toBe(before);
  });
});
