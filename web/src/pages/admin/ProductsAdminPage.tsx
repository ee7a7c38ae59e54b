import { useState, type FormEvent } from 'react';
import { ApiError, describeError } from '../../api/client';
import { useAdminProducts, useDeleteProduct, useSaveProduct } from '../../api/admin';
import type { Product } from '../../api/types';
import { Button } from '../../components/atoms/Button';
import { Spinner } from '../../components/atoms/Spinner';
import { ErrorNotice } from '../../components/molecules/ErrorNotice';
import { FormField } from '../../components/molecules/FormField';
import { Pagination } from '../../components/molecules/Pagination';
import { formatMoney } from '../../lib/format';
import { useToast } from '../../state/ui';

export function ProductsAdminPage() {
  const [page, setPage] = useState(1);
  const [editing, setEditing] = useState<Product | 'new' | null>(null);
  const products = useAdminProducts({ page, limit: 20, sort: '-createdAt' });
  const remove = useDeleteProduct();
  const toast = useToast();
  return (
    <section>
      <div className="row between">
        <h1>Products</h1>
        <Button onClick={() => setEditing('new')}>New product</Button>
      </div>
      {editing && <ProductForm product={editing === 'new' ? null : editing} onDone={() => setEditing(null)} />}
      {products.isError && <ErrorNotice error={products.error} />}
      {products.isPending ? <Spinner /> : products.data && (
        <>
          <table className="table">
            <thead><tr><th>SKU</th><th>Name</th><th>Price</th><th>Stock</th><th>Version</th><th><span className="sr-only">Actions</span></th></tr></thead>
            <tbody>
              {products.data.data.map((p) => (
                <tr key={p.id}>
                  <td>{p.sku}</td><td>{p.name}</td><td>{formatMoney(p.price)}</td><td>{p.stock}</td><td>{p.version}</td>
                  <td className="row">
                    <Button variant="ghost" onClick={() => setEditing(p)}>Edit</Button>
                    <Button variant="ghost" onClick={() => remove.mutate(p.id, { onSuccess: () => toast.success(`${p.name} deactivated`), onError: (e) => toast.error(describeError(e)) })}>Delete</Button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pagination meta={products.data.meta} onPage={setPage} />
        </>
      )}
    </section>
  );
}

/** Create or edit. An edit sends the version it started from; a stale one is shown, not lost. */
function ProductForm({ product, onDone }: { product: Product | null; onDone: () => void }) {
  const [form, setForm] = useState({
    sku: product?.sku ?? '',
    name: product?.name ?? '',
    description: product?.description ?? '',
    price: product ? (product.price.amount / 100).toFixed(2) : '',
    currency: product?.price.currency ?? 'EUR',
    stock: String(product?.stock ?? 0),
  });
  const save = useSaveProduct();
  const toast = useToast();
  const field = (key: keyof typeof form) => ({ value: form[key], onChange: (e: { target: { value: string } }) => setForm({ ...form, [key]: e.target.value }) });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const body = {
      sku: form.sku, name: form.name, description: form.description, stock: Number(form.stock),
      price: { amount: Math.round(Number(form.price) * 100), currency: form.currency },
      ...(product ? { version: product.version } : {}),
    };
    save.mutate({ id: product?.id, body }, { onSuccess: () => { toast.success('Product saved'); onDone(); } });
  };
  const conflict = save.error instanceof ApiError && save.error.code === 'conflict' && product;
  return (
    <form className="card" onSubmit={submit} noValidate>
      <h2>{product ? `Edit ${product.name}` : 'New product'}</h2>
      <div className="form-grid">
        <FormField label="SKU" {...field('sku')} />
        <FormField label="Name" {...field('name')} />
        <FormField label="Price" type="number" step="0.01" min="0" {...field('price')} />
        <FormField label="Currency" {...field('currency')} />
        <FormField label="Stock" type="number" min="0" {...field('stock')} />
        <FormField label="Description" {...field('description')} />
      </div>
      {conflict ? (
        <p className="notice notice-error" role="alert">
          Someone changed this product since you opened it (version {product.version} is stale). Close and edit again to see their change.
        </p>
      ) : save.error && <ErrorNotice error={save.error} />}
      <div className="row">
        <Button type="submit" busy={save.isPending}>Save</Button>
        <Button variant="secondary" onClick={onDone}>Close</Button>
      </div>
    </form>
  );
}
