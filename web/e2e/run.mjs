// `npm run e2e [name-filter]`: the browser tests against the binary in E2E_BINARY (default:
// target/debug/agora; scripts/test uses the release-like `e2e` profile).
import { runTests } from './harness.mjs';
import { adminChangesTierAndRollout } from './tests/admin.mjs';
import { postWithAComment } from './tests/blog.mjs';
import { shopperJourney } from './tests/journey.mjs';
import { noRequestLeavesTheOrigin } from './tests/origin.mjs';

await runTests({
  'shopper journey: register → verify → login → search → cart → checkout → history': shopperJourney,
  'no request leaves the origin': noRequestLeavesTheOrigin,
  'admin changes a tier and a flag rollout': adminChangesTierAndRollout,
  'blog: a post with a comment': postWithAComment,
});
