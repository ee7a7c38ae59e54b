import { Link } from 'react-router-dom';
import type { Product } from '../../api/types';
import { formatMoney } from '../../lib/format';
import { Button } from '../atoms/Button';

export function ProductCard({ product, onAdd, adding }: { product: Product; onAdd?: (product: Product) => void; adding?: boolean }) {
  const soldOut = product.stock <= 0;
  return (
    <article className="card product-card" data-testid="product-card">
      <div className="product-art" aria-hidden="true">
        {product.name.slice(0, 1)}
      </div>
      <h3>
        <Link to={`/products/${product.id}`}>{product.name}</Link>
      </h3>
      <p className="muted clamp">{product.description}</p>
      <div className="row between">
        <strong>{formatMoney(product.price)}</strong>
        {onAdd && (
          <Button data-testid="add-to-cart" disabled={soldOut} busy={adding} onClick={() => onAdd(product)} aria-label={`Add ${product.name} to cart`}>
            {soldOut ? 'Sold out' : 'Add to cart'}
          </Button>
        )}
      </div>
    </article>
  );
}
