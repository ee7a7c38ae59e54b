import { Link, NavLink, useNavigate } from 'react-router-dom';
import { useLogout } from '../../api/identity';
import { useCart } from '../../api/orders';
import { isAdmin, useSession } from '../../state/session';
import { useUi } from '../../state/ui';
import { Button } from '../atoms/Button';

export function Header() {
  const { state, dispatch } = useUi();
  const user = useSession((s) => s.user);
  const cart = useCart();
  const logout = useLogout();
  const navigate = useNavigate();
  const count = cart.data?.items.reduce((sum, i) => sum + i.quantity, 0) ?? 0;
  return (
    <header className="header">
      <a href="#main" className="skip">Skip to content</a>
      <Link to="/" className="brand">
        <img src="/icon.svg" alt="" width="28" height="28" /> Agora
      </Link>
      <nav aria-label="Main" className="nav">
        <NavLink to="/" end>Shop</NavLink>
        <NavLink to="/blog">Blog</NavLink>
        {user && <NavLink to="/orders">Orders</NavLink>}
        {isAdmin(user) && <NavLink to="/admin">Admin</NavLink>}
      </nav>
      <div className="row">
        <Button
          variant="ghost"
          data-testid="theme-toggle"
          aria-label={`Switch to ${state.theme === 'light' ? 'dark' : 'light'} theme`}
          onClick={() => dispatch({ type: 'TOGGLE_THEME' })}
        >
          {state.theme === 'light' ? '☾' : '☀'}
        </Button>
        <Link to="/cart" className="cart-link" aria-label={`Cart, ${count} items`}>
          Cart <span className="count" data-testid="cart-count">{count}</span>
        </Link>
        {user ? (
          <>
            <Link to="/account" data-testid="user-menu" className="user-menu">
              {user.name}
            </Link>
            <Button
              variant="secondary"
              data-testid="logout-button"
              onClick={() => logout.mutate(undefined, { onSettled: () => navigate('/login') })}
            >
              Log out
            </Button>
          </>
        ) : (
          <>
            <Link to="/login">Log in</Link>
            <Link to="/register" className="btn btn-primary">Sign up</Link>
          </>
        )}
      </div>
    </header>
  );
}
