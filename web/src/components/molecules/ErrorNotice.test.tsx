import { render, screen } from '@testing-library/react';
import { ApiError } from '../../api/client';
import { ErrorNotice } from './ErrorNotice';

describe('ErrorNotice', () => {
  it('says when to retry a rate-limited request', () => {
    render(<ErrorNotice error={new ApiError(429, { code: 'rate_limited', retryAfter: 42 })} />);
    expect(screen.getByRole('alert')).toHaveTextContent('try again in 42 s');
  });
  it('shows the request id of a server error', () => {
    render(<ErrorNotice error={new ApiError(500, { code: 'internal', requestId: '0193-abc' })} />);
    expect(screen.getByRole('alert')).toHaveTextContent('request id 0193-abc');
  });
  it('shows the first validation message', () => {
    render(<ErrorNotice error={new ApiError(400, { error: 'Validation failed', details: [{ field: 'sku', message: 'SKU taken' }] })} />);
    expect(screen.getByRole('alert')).toHaveTextContent('SKU taken');
  });
});
