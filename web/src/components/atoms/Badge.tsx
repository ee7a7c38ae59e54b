import type { ReactNode } from 'react';

export function Badge({ tone = 'neutral', children, ...rest }: { tone?: 'neutral' | 'good' | 'warn' | 'bad'; children: ReactNode; 'data-testid'?: string }) {
  return (
    <span className={`badge badge-${tone}`} {...rest}>
      {children}
    </span>
  );
}

const STATUS_TONE: Record<string, 'neutral' | 'good' | 'warn' | 'bad'> = {
  pending: 'warn',
  paid: 'good',
  shipped: 'good',
  delivered: 'good',
  cancelled: 'bad',
  refunded: 'neutral',
};
export const statusTone = (status: string) => STATUS_TONE[status] ?? 'neutral';
