// A small browser-test harness on playwright-core (no test-runner download): it starts the real
// `agora` binary on a fresh data directory, drives Debian's Chromium, saves a screenshot and the
// page's console for every failed test, and fails any test whose page asked another host.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';

/** The flags of docs/testing.md: no sandbox (containers), no GPU, nothing phoning home. */
export const CHROMIUM_FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];
export const ARTIFACTS = resolve(import.meta.dirname, 'artifacts');
const DEADLINE_MS = 15_000;

async function freePort() {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => ok(port));
    });
    server.on('error', fail);
  });
}

/** Polls `check` until it returns a truthy value or the deadline passes. */
export async function until(what, check, timeoutMs = DEADLINE_MS) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    // poll: the condition is re-checked every 100 ms until the deadline above.
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function startServer() {
  // Not an AGORA_* variable: the binary refuses unknown keys of its own prefix.
  const binary = process.env.E2E_BINARY ?? resolve(import.meta.dirname, '../../target/debug/agora');
  const dataDir = mkdtempSync(join(tmpdir(), 'agora-e2e-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const log = [];
  const child = spawn(binary, ['serve', '--seed'], {
    env: {
      ...process.env,
      AGORA_BIND: `127.0.0.1:${port}`,
      AGORA_DATA_DIR: dataDir,
      AGORA_LOG: 'warn',
      // The E2E signs several people up from one IP within a minute; the anonymous per-IP
      // quota is the only limit raised (per-user tiers keep their defaults).
      AGORA_RATE_LIMIT__ANONYMOUS: '1000/15m',
      ...(process.env.AGORA_WEB_DIR ? { AGORA_WEB_DIR: process.env.AGORA_WEB_DIR } : {}),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (d) => log.push(String(d)));
  child.stderr.on('data', (d) => log.push(String(d)));
  let exited = null;
  child.on('exit', (code) => (exited = code));
  await until('the server to answer /health', async () => {
    if (exited !== null) throw new Error(`agora exited with ${exited}:\n${log.join('')}`);
    return (await fetch(`${base}/health`)).ok;
  }, 60_000).catch((e) => {
    throw new Error(`${e.message}\n${log.join('')}`);
  });
  return {
    base,
    log,
    async stop() {
      child.kill('SIGTERM');
      await until('agora to exit', async () => exited !== null, 15_000).catch(() => child.kill('SIGKILL'));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** JSON API calls from the test itself (setup and assertions), with an optional bearer token. */
export function apiClient(base) {
  return async function call(path, { method = 'GET', body, token } = {}) {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  };
}

export async function runTests(tests) {
  const server = await startServer();
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: CHROMIUM_FLAGS,
  });
  mkdirSync(ARTIFACTS, { recursive: true });
  const only = process.argv[2];
  let failed = 0;
  for (const [name, body] of Object.entries(tests)) {
    if (only && !name.includes(only)) continue;
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const foreign = [];
    const origin = new URL(server.base).origin;
    // Every request of every test: anything not to the app's origin is refused and recorded.
    await context.route('**/*', (route) => {
      const url = new URL(route.request().url());
      if (url.origin !== origin) {
        foreign.push(url.href);
        return route.abort();
      }
      return route.continue();
    });
    const page = await context.newPage();
    page.setDefaultTimeout(DEADLINE_MS);
    const consoleLines = [];
    page.on('console', (m) => consoleLines.push(`[${m.type()}] ${m.text()}`));
    page.on('pageerror', (e) => consoleLines.push(`[pageerror] ${e.message}`));
    const started = Date.now();
    try {
      await body({ page, base: server.base, api: apiClient(server.base), foreign });
      if (foreign.length > 0) throw new Error(`requests left the origin: ${foreign.join(', ')}`);
      console.log(`  ok   ${name} (${Date.now() - started} ms)`);
    } catch (error) {
      failed += 1;
      const file = name.replace(/[^a-z0-9]+/gi, '-');
      await page.screenshot({ path: join(ARTIFACTS, `${file}.png`), fullPage: true }).catch(() => {});
      writeFileSync(join(ARTIFACTS, `${file}.console.txt`), consoleLines.join('\n'));
      console.log(`  FAIL ${name}: ${error.stack ?? error}\n       screenshot and console in ${ARTIFACTS}/${file}.*`);
    } finally {
      await context.close();
    }
  }
  await browser.close();
  if (failed > 0) writeFileSync(join(ARTIFACTS, 'server.log'), server.log.join(''));
  await server.stop();
  console.log(failed ? `${failed} browser test(s) failed` : 'all browser tests passed');
  process.exitCode = failed ? 1 : 0;
}
