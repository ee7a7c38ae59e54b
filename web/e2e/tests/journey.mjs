// Register (validation first) → verify from the mailed link → log in → search → add to cart →
// checkout (whichever flow `new-checkout-flow` gives this person) → the order in the history.
import { expectText, logIn, mailTo } from './helpers.mjs';
import { until } from '../harness.mjs';

export async function shopperJourney({ page, base, api }) {
  const email = `shopper-${Date.now()}@example.org`;
  const password = 'Journey123';
  await page.goto(`${base}/register`);
  await page.getByTestId('register-button').click();
  for (const message of ['Email is required', 'Password is required', 'Name is required']) {
    await page.getByText(message).waitFor();
  }
  const fill = async (values) => {
    for (const [id, value] of Object.entries(values)) await page.getByTestId(id).fill(value);
    await page.getByTestId('register-button').click();
  };
  await fill({ 'name-input': 'Sam Shopper', 'email-input': 'not-an-email', 'password-input': 'short', 'confirm-password-input': 'short' });
  await page.getByText('Invalid email').waitFor();
  await page.getByText('Password must be at least 8 characters').waitFor();
  await fill({ 'email-input': email, 'password-input': 'lowercase123', 'confirm-password-input': 'lowercase123' });
  await page.getByText('Password must contain an uppercase letter').waitFor();
  await fill({ 'password-input': 'NoDigitsHere', 'confirm-password-input': 'NoDigitsHere' });
  await page.getByText('Password must contain a number').waitFor();
  await fill({ 'password-input': password, 'confirm-password-input': 'Journey124' });
  await page.getByText('Passwords do not match').waitFor();
  await fill({ 'confirm-password-input': password });
  await page.waitForURL(`${base}/verify-email`);
  await page.getByText('Please check your email').waitFor();

  const mail = await mailTo(api, email, 'Verify your email');
  expectText(mail.text, 'verification link', 'the mail');
  const link = mail.text.match(/http\S+\/verify-email\?token=\S+/)?.[0];
  if (!link?.startsWith(base)) throw new Error(`no link to this app in: ${mail.text}`);
  await page.goto(link);
  await page.getByText('Your email is verified.').waitFor();
  await page.getByTestId('verified-login').click();
  await logIn(page, base, { email, password });
  expectText(await page.getByTestId('user-menu').textContent(), 'Sam Shopper', 'the header');

  const { body: catalog } = await api('/api/products?inStock=true&sort=-stock&limit=1');
  const product = catalog.data[0];
  await page.getByTestId('search-input').fill(product.name);
  await page.getByTestId('search-input').press('Enter');
  await page.waitForURL((url) => url.searchParams.get('q') === product.name);
  const card = page.getByTestId('product-card').filter({ hasText: product.name }).first();
  await card.getByTestId('add-to-cart').click();
  await until('the cart count to read 1', async () => (await page.getByTestId('cart-count').textContent()) === '1');

  await page.getByRole('link', { name: /^Cart/ }).click();
  await page.getByTestId('cart-item').filter({ hasText: product.name }).waitFor();
  await page.getByTestId('checkout-button').click();
  await page.getByTestId('place-order').click();
  // Classic flow: a second step pays; the new flow pays at once and lands on the order.
  const landed = await until('the order page or the payment step', async () =>
    (await page.getByTestId('pay-button').isVisible()) ? 'pay' : /\/orders\/[0-9a-f-]+$/.test(page.url()) ? 'order' : undefined,
  );
  if (landed === 'pay') await page.getByTestId('pay-button').click();
  await page.waitForURL(/\/orders\/[0-9a-f-]+$/);
  await until('the order to be paid', async () => (await page.getByTestId('order-status').textContent()) === 'paid');

  await page.getByRole('link', { name: 'Orders', exact: true }).click();
  const rows = page.getByTestId('order-row');
  await rows.first().waitFor();
  if ((await rows.count()) !== 1) throw new Error(`expected one order, saw ${await rows.count()}`);
  expectText(await rows.first().textContent(), 'paid', 'the order row');
}
