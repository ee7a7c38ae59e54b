import type { PageMeta } from '../../api/types';
import { Button } from '../atoms/Button';

export function Pagination({ meta, onPage }: { meta: PageMeta; onPage: (page: number) => void }) {
  if (meta.totalPages <= 1) return null;
  return (
    <nav className="pagination" aria-label="Pagination">
      <Button variant="secondary" disabled={!meta.hasPrev} onClick={() => onPage(meta.page - 1)}>
        Previous
      </Button>
      <span aria-current="page">
        Page {meta.page} of {meta.totalPages}
      </span>
      <Button variant="secondary" disabled={!meta.hasNext} onClick={() => onPage(meta.page + 1)}>
        Next
      </Button>
    </nav>
  );
}
