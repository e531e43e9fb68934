// Everything Gatehouse-specific about the example lives here, outside the app: starting a local
// Gatehouse (embedded, on PGlite) and setting up its project the way you would in Stytch's dashboard
// — the RBAC policy with the app's custom role, the redirect URL, the page's origin — plus reading
// the outbox, where Gatehouse keeps the emails it would send when no SMTP server is configured.
import { join } from 'node:path';
import { createGatehouse, ensureProject, loadConfig, readCredentialsFile } from '@gatehouse/server';
import type { AppConfig } from './backend.ts';

/** The app's own permission: `billing:read`, held by the custom `billing-viewer` role. */
export const BILLING_RESOURCE = { resource_id: 'billing', description: 'Invoices and plans', actions: ['read'] };
export const BILLING_VIEWER_ROLE = { role_id: 'billing-viewer', description: 'Sees the invoices', permissions: [{ resource_id: 'billing', actions: ['read'] }] };

export type ProjectApi = (method: string, path: string, body?: unknown) => Promise<any>;

/** Calls Gatehouse's backend API with the project secret; throws on an error answer (with its body). */
export function projectApi(config: AppConfig): ProjectApi {
  const authorization = `Basic ${Buffer.from(`${config.project_id}:${config.secret}`).toString('base64')}`;
  return async (method, path, body) => {
    const response = await fetch(`${config.apiUrl}${path}`, {
      method,
      headers: { authorization, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await response.json()) as any;
    if (!response.ok) throw Object.assign(new Error(`${method} ${path}: ${response.status} ${json.error_type}: ${json.error_message}`), { body: json });
    return json;
  };
}

/** Ignores the refusal of something that is already there (a later start of the same data folder). */
async function once(call: Promise<unknown>): Promise<void> {
  try {
    await call;
  } catch (error) {
    const type = (error as { body?: { error_type?: string } }).body?.error_type ?? '';
    if (!/duplicate|already|exists/.test(type)) throw error;
  }
}

/** The project as the app needs it: the billing role in the B2B policy, the app's redirect URL and origin. */
export async function setUpProject(config: AppConfig, appUrl: string): Promise<void> {
  const api = projectApi(config);
  const { policy } = await api('GET', '/v1/b2b/rbac/policy');
  const custom = (policy.resources as { resource_id: string }[]).filter((resource) => !resource.resource_id.startsWith('stytch.') && resource.resource_id !== 'billing');
  const roles = (policy.roles as { role_id: string }[]).filter((role) => role.role_id !== BILLING_VIEWER_ROLE.role_id);
  await api('PUT', '/v1/b2b/rbac/policy', { policy: { ...policy, resources: [...custom, BILLING_RESOURCE], roles: [...roles, BILLING_VIEWER_ROLE] } });
  const types = ['LOGIN', 'SIGNUP', 'INVITE', 'DISCOVERY'];
  await once(api('POST', '/v1/project/redirect_urls', { url: `${appUrl}/authenticate`, valid_types: types.map((type) => ({ type, is_default: true })) }));
  await once(api('POST', '/v1/project/allowed_origins', { origin: appUrl, vertical: 'B2B' }));
  // The page may be opened as localhost too: another origin to the browser.
  const localhost = appUrl.replace('//127.0.0.1:', '//localhost:');
  await once(api('POST', '/v1/project/redirect_urls', { url: `${localhost}/authenticate`, valid_types: types.map((type) => ({ type })) }));
  await once(api('POST', '/v1/project/allowed_origins', { origin: localhost, vertical: 'B2B' }));
}

export interface OutboxMessage {
  message_id: string;
  to: string;
  subject: string;
  link: string | null;
}

/** The newest emails Gatehouse kept (newest first), to one address or to anyone. */
export async function readOutbox(config: AppConfig, to?: string, limit = 20): Promise<OutboxMessage[]> {
  const query = new URLSearchParams({ limit: String(limit), ...(to ? { to } : {}) });
  return (await projectApi(config)('GET', `/v1/project/outbox?${query}`)).messages;
}

/** A Gatehouse embedded in this process, on PGlite in `dataDir`; its project made on the first start. */
export async function startLocalGatehouse(options: { dataDir: string; port: number }) {
  const { config } = loadConfig({
    ...process.env,
    GATEHOUSE_MODE: 'development',
    GATEHOUSE_DATA_DIR: options.dataDir,
    PORT: String(options.port),
    HOST: '127.0.0.1',
    GATEHOUSE_LOG_LEVEL: process.env.GATEHOUSE_LOG_LEVEL ?? 'warn',
    // The example signs in again and again while you try it; keep the limits out of the way.
    GATEHOUSE_RATE_LIMIT_IP: '0',
    GATEHOUSE_RATE_LIMIT_IDENTIFIER: '0',
    // SSO set-up against an identity provider on this machine (development mode only).
    GATEHOUSE_OUTBOUND_ALLOW_PRIVATE: process.env.GATEHOUSE_OUTBOUND_ALLOW_PRIVATE ?? '127.0.0.1/32',
  });
  const gatehouse = await createGatehouse({ config });
  const bootstrap = await ensureProject(gatehouse, config);
  const credentials = bootstrap.created ?? readCredentialsFile(config.dataDir, config);
  if (!credentials) throw new Error(`no project credentials in ${join(config.dataDir)}`);
  await gatehouse.app.listen({ port: config.port, host: config.host });
  return { url: `http://127.0.0.1:${options.port}`, credentials, close: () => gatehouse.close() };
}
