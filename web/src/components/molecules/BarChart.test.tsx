import { render, screen } from '@testing-library/react';
import { BarChart } from './BarChart';

describe('BarChart', () => {
  it('draws one bar per point scaled to the largest', () => {
    const { container } = render(
      <BarChart label="Orders" points={[{ label: 'd1', value: 2, title: 'a' }, { label: 'd2', value: 4, title: 'b' }]} />,
    );
    const bars = container.querySelectorAll('rect.bar');
    expect(bars).toHaveLength(2);
    expect(Number(bars[0]?.getAttribute('height'))).toBeCloseTo(80);
    expect(Number(bars[1]?.getAttribute('height'))).toBeCloseTo(160);
    expect(screen.getByRole('img', { name: 'Orders' })).toBeInTheDocument();
  });
  it('says when there is nothing to draw', () => {
    render(<BarChart label="Orders" points={[]} />);
    expect(screen.getByText('No data yet.')).toBeInTheDocument();
  });
});
