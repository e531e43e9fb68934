// Browser tests of the dashboard: a real Gatehouse (PGlite, or PostgreSQL with DATABASE_URL) serving
// a build of the current sources at /dashboard/, a project, an admin made through the server's admin
// service, and Debian's headless Chromium (driven by playwright-core) signed in through the page.
//
//   const dashboard = await startDashboard();            // 1280×800; { viewport: PHONE } for 390×844
//   await dashboard.goto('/policy');
//   await dashboard.screenshot('policy');                // .gatehouse/screenshots/policy.png
//   const body = expectOk(await dashboard.projectSecretApi('GET', '/v1/rbac/policy'));
//   const phone = await dashboard.openPage({ viewport: PHONE });   // another signed-in page, same server
//   await dashboard.close();
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startTestServer, systemActor, type ApiResponse, type Gatehouse, type ProjectCredentials, type TestServer } from '@gatehouse/server/testing';
import { launchChromium } from '@gatehouse/server/testing/chromium';
import { buildDashboard } from './build.ts';

export { expectOk } from '@gatehouse/server/testing';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
// Every run saves its screenshots; only `npm run screenshots` writes them over the README's copies in
// docs/screenshots, so an ordinary test run leaves the checkout as it was.
export const SCREENSHOTS = process.env.GATEHOUSE_SCREENSHOTS_DIR ?? join(ROOT, '.gatehouse', 'screenshots');

export interface Viewport {
  width: number;
  height: number;
}
export const DESKTOP: Viewport = { width: 1280, height: 800 };
export const PHONE: Viewport = { width: 390, height: 844 };

export interface DashboardAdmin {
  admin_id: string;
  email: string;
  password: string;
}

/** One signed-in browser page (its own context: cookies, viewport). */
export interface DashboardPage {
  page: Page;
  context: BrowserContext;
  viewport: Viewport;
  /** Uncaught errors and console errors in the page (a CSP refusal shows up here). */
  pageErrors: string[];
  /** Opens a dashboard path (`/policy?kind=b2b`) and waits for its heading. */
  goto(path: string): Promise<void>;
  /** Saves a full-page PNG to <SCREENSHOTS>/<name>.png and returns its path. */
  screenshot(name: string): Promise<string>;
  close(): Promise<void>;
}

export interface DashboardTest extends DashboardPage {
  browser: Browser;
  server: TestServer;
  gatehouse: Gatehouse;
  /** The server's origin, e.g. http://127.0.0.1:40123 (the dashboard is at baseUrl + /dashboard/). */
  baseUrl: string;
  /** The project the dashboard works on (the server's first project). */
  project: ProjectCredentials;
  admin: DashboardAdmin;
  /** Calls the API with the project's secret: what the server holds, apart from what the page says. */
  projectSecretApi(method: string, path: string, body?: unknown): Promise<ApiResponse>;
  /** Another page signed in as the same admin (or `as` another), e.g. at the phone's width. */
  openPage(options?: { viewport?: Viewport; as?: Pick<DashboardAdmin, 'email' | 'password'> }): Promise<DashboardPage>;
}

export interface StartDashboardOptions {
  viewport?: Viewport;
  /** Extra server environment (GATEHOUSE_*). */
  env?: Record<string, string>;
}

let adminCount = 0;

export async function startDashboard(options: StartDashboardOptions = {}): Promise<DashboardTest> {
  const launching = launchChromium();
  launching.catch(() => undefined);
  const dashboardDir = await buildDashboard();
  const server = await startTestServer({
    env: { GATEHOUSE_DASHBOARD_DIR: dashboardDir, GATEHOUSE_RATE_LIMIT_IP: '0', GATEHOUSE_RATE_LIMIT_IDENTIFIER: '0', ...options.env },
  });
  let browser: Browser | undefined;
  try {
    browser = await launching;
    // The first project is the one the dashboard works on.
    const project = await server.createProject();
    const password = `dashboard-test-${crypto.randomUUID()}`;
    const email = `admin-${++adminCount}-${process.pid}@example.com`;
    const { admin } = await server.gatehouse.admins.createAdmin(email, password, systemActor('test.harness'));
    const credentials: DashboardAdmin = { admin_id: admin.admin_id, email, password };
    const openPage = (pageOptions: { viewport?: Viewport; as?: Pick<DashboardAdmin, 'email' | 'password'> } = {}) =>
      openSignedInPage(browser!, server.baseUrl, pageOptions.as ?? credentials, pageOptions.viewport ?? DESKTOP);
    const first = await openPage({ viewport: options.viewport });
    const opened = browser;
    return {
      ...first,
      browser: opened,
      server,
      gatehouse: server.gatehouse,
      baseUrl: server.baseUrl,
      project,
      admin: credentials,
      projectSecretApi: (method, path, body) => server.api(project, method, path, body),
      openPage,
      async close() {
        await opened.close();
        await server.close();
      },
    };
  } catch (error) {
    await browser?.close();
    await server.close();
    throw error;
  }
}

async function openSignedInPage(browser: Browser, baseUrl: string, admin: Pick<DashboardAdmin, 'email' | 'password'>, viewport: Viewport): Promise<DashboardPage> {
  const context = await browser.newContext({ viewport, baseURL: baseUrl });
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(String(error)));
  page.on('console', (message) => {
    // A 4xx the page shows as an inline error is logged by Chromium as a failed resource: not a page error.
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) pageErrors.push(message.text());
  });
  await page.goto('/dashboard/');
  await page.getByLabel('Email').fill(admin.email);
  await page.getByLabel('Password').fill(admin.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
  return {
    page,
    context,
    viewport,
    pageErrors,
    async goto(path) {
      await page.goto(`/dashboard${path}`);
      await page.locator('h1#page-title').waitFor();
    },
    async screenshot(name) {
      mkdirSync(SCREENSHOTS, { recursive: true });
      const path = join(SCREENSHOTS, `${name}.png`);
      // From the top: a sticky bar would otherwise be drawn where the page was scrolled to.
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.screenshot({ path, fullPage: true });
      return path;
    },
    close: () => context.close(),
  };
}
