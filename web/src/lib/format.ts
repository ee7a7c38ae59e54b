import type { Money } from '../api/types';

/** `{amount: 1999, currency: 'EUR'}` → `€19.99` (minor units; the browser's locale). */
export function formatMoney(money: Money | null | undefined): string {
  if (!money) return '—';
  return new Intl.NumberFormat(undefined, { style: 'currency', currency: money.currency }).format(money.amount / 100);
}

export function formatDate(iso: string): string {
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}
