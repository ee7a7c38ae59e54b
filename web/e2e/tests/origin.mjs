// Nothing the app shows may come from another host (no CDN fonts, scripts or images): every
// page type is opened and every request checked (the harness refuses and records any other).
export async function noRequestLeavesTheOrigin({ page, base, api, foreign }) {
  const { body } = await api('/api/products?limit=1');
  const seen = new Set();
  page.on('request', (r) => seen.add(new URL(r.url()).origin));
  for (const path of ['/', `/products/${body.data[0].id}`, '/register', '/login', '/blog', '/verify-email', '/graphql']) {
    await page.goto(`${base}${path}`, { waitUntil: 'networkidle' });
  }
  await page.locator('.graphiql-container').waitFor();
  if (foreign.length > 0 || [...seen].some((o) => o !== new URL(base).origin)) {
    throw new Error(`requests to other hosts: ${[...foreign, ...seen].join(', ')}`);
  }
}
