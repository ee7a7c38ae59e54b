// A post with a comment, through the blog pages (GraphQL).
import { ADMIN, logIn } from './helpers.mjs';

export async function postWithAComment({ page, base }) {
  const title = `Field notes ${Date.now()}`;
  await logIn(page, base, ADMIN);
  await page.goto(`${base}/blog/new`);
  await page.getByTestId('post-title-input').fill(title);
  await page.getByTestId('post-body-input').fill('# Hello\n\nA **first** post.');
  await page.locator('.post-body strong').filter({ hasText: 'first' }).waitFor();
  await page.getByTestId('publish-button').click();
  await page.waitForURL(/\/blog\/[0-9a-f-]+$/);
  await page.getByTestId('comment-input').fill('Nice post!');
  await page.getByTestId('comment-button').click();
  await page.getByTestId('comment').filter({ hasText: 'Nice post!' }).waitFor();
  await page.goto(`${base}/blog`);
  await page.getByTestId('post-card').filter({ hasText: title }).waitFor();
}
