import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Pagination } from './Pagination';

const meta = { page: 2, limit: 20, total: 60, totalPages: 3, hasNext: true, hasPrev: true };

describe('Pagination', () => {
  it('moves to the neighbouring pages', async () => {
    const onPage = vi.fn();
    render(<Pagination meta={meta} onPage={onPage} />);
    await userEvent.click(screen.getByRole('button', { name: 'Next' }));
    await userEvent.click(screen.getByRole('button', { name: 'Previous' }));
    expect(onPage.mock.calls).toEqual([[3], [1]]);
  });
  it('renders nothing for a single page', () => {
    const { container } = render(<Pagination meta={{ ...meta, totalPages: 1 }} onPage={() => {}} />);
    expect(container).toBeEmptyDOMElement();
  });
});
