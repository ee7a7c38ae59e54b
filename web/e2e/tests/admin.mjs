// An admin changes a user's tier and a flag's rollout in the portal; the API confirms both.
import { until } from '../harness.mjs';
import { ADMIN, logIn, tokenOf } from './helpers.mjs';

export async function adminChangesTierAndRollout({ page, base, api }) {
  const email = `tiered-${Date.now()}@example.org`;
  const created = await api('/api/users', { method: 'POST', body: { email, password: 'Tiered123', name: 'Tia Tiered' } });
  if (created.status !== 201) throw new Error(`sign-up: ${created.status}`);
  const token = await tokenOf(api, ADMIN);

  await logIn(page, base, ADMIN);
  await page.goto(`${base}/admin/users`);
  await page.getByLabel('Search users').fill(email);
  await page.getByLabel(`Tier of ${email}`).selectOption('pro');
  await until('the tier to be saved', async () => {
    const { body } = await api(`/api/admin/users/${created.body.id}`, { token });
    return body.tier === 'pro';
  });

  await page.goto(`${base}/admin/flags`);
  const card = page.getByTestId('flag-card').filter({ hasText: 'new-checkout-flow' });
  await card.getByTestId('rollout-slider').fill('42');
  await card.getByTestId('rollout-value').filter({ hasText: '42%' }).waitFor();
  await card.getByTestId('rollout-save').click();
  await until('the rollout to be saved', async () => {
    const { body } = await api('/api/admin/flags/new-checkout-flow', { token });
    return body.rolloutPercent === 42;
  });
}
