import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter } from 'react-router-dom';
import type { Product } from '../../api/types';
import { ProductCard } from './ProductCard';

const product: Product = {
  id: 'p1', sku: 'TENT-1', name: 'Alpine Tent', description: 'Sleeps two', price: { amount: 12999, currency: 'EUR' },
  stock: 3, categoryId: null, active: true, version: 1, createdAt: '', updatedAt: '',
};

describe('ProductCard', () => {
  it('shows the name, links to the product and adds it to the cart', async () => {
    const onAdd = vi.fn();
    render(<MemoryRouter><ProductCard product={product} onAdd={onAdd} /></MemoryRouter>);
    expect(screen.getByRole('link', { name: 'Alpine Tent' })).toHaveAttribute('href', '/products/p1');
    await userEvent.click(screen.getByTestId('add-to-cart'));
    expect(onAdd).toHaveBeenCalledWith(product);
  });
  it('cannot add a sold-out product', () => {
    render(<MemoryRouter><ProductCard product={{ ...product, stock: 0 }} onAdd={() => {}} /></MemoryRouter>);
    expect(screen.getByTestId('add-to-cart')).toBeDisabled();
  });
});
