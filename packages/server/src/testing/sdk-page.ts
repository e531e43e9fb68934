// Test support for the official browser SDKs in headless Chromium: a started Gatehouse, a page on a
// loopback origin whose script (bundled with esbuild from the installed packages) the test gives, and
// the browser. The test allows the page's origin in its project and drives the page's script.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { Browser } from 'playwright-core';
import { launchChromium } from './chromium.ts';
import { startTestServer, type TestServer } from './harness.ts';

export interface SdkPageWorld {
  server: TestServer;
  /** The page's origin (http://127.0.0.1:port), to allow in a project. */
  pageOrigin: string;
  browser: Browser;
  close(): Promise<void>;
}

/** `env`: the server's settings (GATEHOUSE_OUTBOUND_ALLOW_PRIVATE for a provider on loopback). */
export async function startSdkPageWorld(pageScript: string, env?: Record<string, string>): Promise<SdkPageWorld> {
  const launching = launchChromium();
  launching.catch(() => undefined);
  const [bundle, server] = await Promise.all([
    build({
      stdin: { contents: pageScript, resolveDir: fileURLToPath(new URL('.', import.meta.url)), loader: 'js' },
      bundle: true,
      format: 'iife',
      platform: 'browser',
      write: false,
      logLevel: 'silent',
    }),
    startTestServer({ env }),
  ]);
  const script = bundle.outputFiles[0]!.text;
  const pages = createServer((request, response) => {
    if (request.url === '/app.js') {
      response.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
    } else {
      response.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>Gatehouse SDK test</title><script src="/app.js"></script>');
    }
  });
  await new Promise<void>((resolve) => pages.listen(0, '127.0.0.1', resolve));
  const pageOrigin = `http://127.0.0.1:${(pages.address() as AddressInfo).port}`;
  const browser = await launching;
  return {
    server,
    pageOrigin,
    browser,
    async close() {
      await browser.close();
      await new Promise((resolve) => pages.close(resolve));
      await server.close();
    },
  };
}

/**
 * A page script driving the official B2B headless client as `window[name]`: `start({publicToken,
 * api})` makes the client (`window.client`), and `steps` (object members, in JS) use
 * `outcome(work)`, which answers `{ok: result}` or `{error: error_type}`.
 */
export function b2bHeadlessScript(name: string, steps: string): string {
  return `
import { StytchB2BHeadlessClient } from '@stytch/vanilla-js/b2b/headless';

const outcome = async (work) => {
  try { return { ok: await work() }; } catch (e) { return { error: e.error_type ?? String(e) }; }
};

window[${JSON.stringify(name)}] = {
  start({ publicToken, api }) {
    window.client = new StytchB2BHeadlessClient(publicToken, { endpoints: { testAPIURL: api, liveAPIURL: api } });
  },
${steps}
};
`;
}

/**
 * A fresh browser context (own cookies and storage) on the page of a b2bHeadlessScript, its client
 * started with the public token; `call(step, arg)` runs `window[name][step](arg)` in the page.
 * Requests that fail on the network are collected in `failures`.
 */
export async function openB2BHeadlessPage(world: SdkPageWorld, name: string, publicToken: string) {
  const context = await world.browser.newContext();
  const page = await context.newPage();
  const failures: string[] = [];
  page.on('requestfailed', (request) => failures.push(`${request.method()} ${request.url()}: ${request.failure()?.errorText}`));
  await page.goto(`${world.pageOrigin}/`);
  await page.waitForFunction((key) => key in window, name);
  const call = (step: string, arg?: unknown): Promise<any> =>
    page.evaluate(([key, method, value]) => (window as any)[key as string][method as string](value), [name, step, arg] as const);
  await call('start', { publicToken, api: world.server.baseUrl });
  return { page, context, call, failures };
}
