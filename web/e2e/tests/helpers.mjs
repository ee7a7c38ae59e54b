import { until } from '../harness.mjs';

export const ADMIN = { email: 'admin@agora.local', password: 'AgoraAdmin1' };

export async function tokenOf(api, { email, password }) {
  const { status, body } = await api('/api/auth/login', { method: 'POST', body: { email, password } });
  if (status !== 200) throw new Error(`login of ${email}: ${status}`);
  return body.accessToken;
}

/** The newest mail to `to` whose subject is `subject`, from the embedded mailbox. */
export async function mailTo(api, to, subject) {
  const token = await tokenOf(api, ADMIN);
  return until(`a mail "${subject}" to ${to}`, async () => {
    const { body } = await api(`/api/admin/mailbox?to=${encodeURIComponent(to)}`, { token });
    return body.data.find((m) => m.subject === subject);
  });
}

export async function logIn(page, base, { email, password }) {
  await page.goto(`${base}/login`);
  await page.getByTestId('email-input').fill(email);
  await page.getByTestId('password-input').fill(password);
  await page.getByTestId('login-button').click();
  await page.getByTestId('user-menu').waitFor();
}

export function expectText(actual, expected, what) {
  if (!String(actual).includes(expected)) throw new Error(`${what}: expected "${expected}" in "${actual}"`);
}
