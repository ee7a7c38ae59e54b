import { useEffect, useState } from 'react';
import { useSearchParams } from 'react-router-dom';
import { useCategories, useProducts } from '../api/catalog';
import { useAddToCart } from '../api/useAddToCart';
import { Input } from '../components/atoms/Input';
import { Spinner } from '../components/atoms/Spinner';
import { ErrorNotice } from '../components/molecules/ErrorNotice';
import { Pagination } from '../components/molecules/Pagination';
import { ProductCard } from '../components/molecules/ProductCard';

const SORTS = [
  ['-createdAt', 'Newest'],
  ['price', 'Price: low to high'],
  ['-price', 'Price: high to low'],
  ['name', 'Name'],
] as const;

/** The catalog. Search, category, sort and page live in the URL: shareable, back-button safe. */
export function StorefrontPage() {
  const [params, setParams] = useSearchParams();
  const q = params.get('q') ?? '';
  const category = params.get('category') ?? '';
  const sort = params.get('sort') ?? (q ? '' : '-createdAt');
  const page = Number(params.get('page') ?? '1') || 1;
  const [draft, setDraft] = useState(q);
  useEffect(() => setDraft(q), [q]);
  const products = useProducts({ q: q || undefined, category: category || undefined, sort: sort || undefined, page, limit: 12 });
  const categories = useCategories();
  const { add, pendingId } = useAddToCart();

  const update = (changes: Record<string, string>) => {
    const next = new URLSearchParams(params);
    for (const [key, value] of Object.entries(changes)) {
      if (value) next.set(key, value);
      else next.delete(key);
    }
    if (!('page' in changes)) next.delete('page');
    setParams(next);
  };

  return (
    <>
      <form
        className="toolbar"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          update({ q: draft.trim() });
        }}
      >
        <label className="sr-only" htmlFor="search">Search products</label>
        <Input id="search" type="search" data-testid="search-input" placeholder="Search products…" value={draft} onChange={(e) => setDraft(e.target.value)} />
        <label className="sr-only" htmlFor="category">Category</label>
        <select id="category" className="input" value={category} onChange={(e) => update({ category: e.target.value })}>
          <option value="">All categories</option>
          {categories.data?.map((c) => (
            <option key={c.id} value={c.id}>{c.name}</option>
          ))}
        </select>
        <label className="sr-only" htmlFor="sort">Sort by</label>
        <select id="sort" className="input" value={sort} onChange={(e) => update({ sort: e.target.value })}>
          {q && <option value="">Relevance</option>}
          {SORTS.map(([value, label]) => (
            <option key={value} value={value}>{label}</option>
          ))}
        </select>
      </form>
      {products.isError && <ErrorNotice error={products.error} />}
      {products.isPending ? (
        <div className="grid skeleton-grid" aria-busy="true"><Spinner /></div>
      ) : (
        products.data && (
          <>
            <p className="muted">{products.data.meta.total} products{q ? ` for “${q}”` : ''}</p>
            <div className="grid">
              {products.data.data.map((p) => (
                <ProductCard key={p.id} product={p} onAdd={add} adding={pendingId === p.id} />
              ))}
            </div>
            <Pagination meta={products.data.meta} onPage={(n) => update({ page: String(n) })} />
          </>
        )
      )}
    </>
  );
}
