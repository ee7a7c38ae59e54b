import { Link, useParams } from 'react-router-dom';
import { useProduct } from '../api/catalog';
import { useAddToCart } from '../api/useAddToCart';
import { Button } from '../components/atoms/Button';
import { Spinner } from '../components/atoms/Spinner';
import { ErrorNotice } from '../components/molecules/ErrorNotice';
import { formatMoney } from '../lib/format';

export function ProductPage() {
  const { id = '' } = useParams();
  const product = useProduct(id);
  const { add, pendingId } = useAddToCart();
  if (product.isPending) return <Spinner />;
  if (product.isError) return <ErrorNotice error={product.error} />;
  const p = product.data;
  return (
    <article className="product-page">
      <Link to="/">← Back to the shop</Link>
      <div className="product-detail">
        <div className="product-art large" aria-hidden="true">{p.name.slice(0, 1)}</div>
        <div>
          <h1>{p.name}</h1>
          <p className="price">{formatMoney(p.price)}</p>
          <p>{p.description}</p>
          <p className="muted">SKU {p.sku} · {p.stock > 0 ? `${p.stock} in stock` : 'Sold out'}</p>
          <Button data-testid="add-to-cart" disabled={p.stock <= 0} busy={pendingId === p.id} onClick={() => add(p)}>
            Add to cart
          </Button>
        </div>
      </div>
    </article>
  );
}
