// The B2B app's backend: Fastify and the official `stytch` B2B client, nothing else. The only
// Gatehouse-specific thing here is the API base URL the client is given. It sends organization
// login links, invites colleagues, grants the billing-viewer role, sets up an organization's OIDC
// connection, finishes SSO sign-ins and serves the billing page's data — each member action checked by Stytch's session
// authentication with an `authorization_check` (the member's roles against the project's RBAC
// policy, decided by the auth server, not by the page).
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import stytch from 'stytch';

export interface AppConfig {
  /** The Stytch-compatible API, e.g. https://api.stytch.com or http://127.0.0.1:4000 (Gatehouse). */
  apiUrl: string;
  project_id: string;
  secret: string;
  public_token: string;
}

/** https URLs are Stytch's `custom_base_url`; a plain-http local server is given as `env` (the client insists on https for the former). */
export function b2bClient(config: AppConfig): InstanceType<typeof stytch.B2BClient> {
  const base = config.apiUrl.startsWith('https://') ? { custom_base_url: config.apiUrl } : { env: `${config.apiUrl.replace(/\/$/, '')}/` };
  const warn = console.warn; // the client warns about any `env` that is not one of Stytch's own
  console.warn = () => undefined;
  try {
    return new stytch.B2BClient({ project_id: config.project_id, secret: config.secret, ...base });
  } finally {
    console.warn = warn;
  }
}

/** The session JWT the browser SDK keeps in a cookie. */
function sessionJwt(request: FastifyRequest): string | undefined {
  const cookie = request.headers.cookie ?? '';
  const match = /(?:^|;\s*)stytch_session_jwt=([^;]+)/.exec(cookie);
  return match ? decodeURIComponent(match[1]!) : undefined;
}

/** Stytch's errors carry status_code, error_type and error_message: pass them on. */
function sendError(reply: FastifyReply, error: unknown) {
  const e = error as { status_code?: number; error_type?: string; error_message?: string; message?: string };
  return reply.code(e.status_code ?? 500).send({ error_type: e.error_type ?? 'internal_error', error_message: e.error_message ?? e.message });
}

export function createB2BBackend(config: AppConfig, page: { html: string; script: string }) {
  const app = Fastify({ logger: false });
  const client = b2bClient(config);
  // Where the emails' links come back to: this page, as the browser reached it. The auth server sends
  // tokens only to registered redirect URLs, so another Host header gets a refusal, not a link.
  const appUrl = (request: FastifyRequest) => `${request.protocol}://${request.host}`;

  /** The signed-in member, if their roles allow `action` on `resource_id` in their organization; otherwise a 401 or 403 is sent. */
  async function authorized(request: FastifyRequest, reply: FastifyReply, resource_id: string, action: string) {
    const session_jwt = sessionJwt(request);
    if (!session_jwt) {
      await reply.code(401).send({ error_type: 'unauthorized', error_message: 'Sign in first.' });
      return null;
    }
    try {
      // The organization comes from the session itself: authenticate once without a check to read it.
      const { member_session } = await client.sessions.authenticate({ session_jwt });
      const checked = await client.sessions.authenticate({ session_jwt, authorization_check: { organization_id: member_session.organization_id, resource_id, action } });
      return { member: checked.member, organization: checked.organization };
    } catch (error) {
      await sendError(reply, error);
      return null;
    }
  }

  app.get('/', (_request, reply) => reply.type('text/html; charset=utf-8').send(page.html));
  app.get('/authenticate', (_request, reply) => reply.type('text/html; charset=utf-8').send(page.html));
  app.get('/app.js', (_request, reply) => reply.type('text/javascript').send(page.script));
  app.get('/api/config', async () => ({ apiUrl: config.apiUrl, publicToken: config.public_token }));

  // An organization by its slug, with its SSO connections: what the login form offers.
  app.get<{ Params: { slug: string } }>('/api/organizations/:slug', async (request, reply) => {
    try {
      const found = await client.organizations.search({ query: { operator: 'AND', operands: [{ filter_name: 'organization_slugs', filter_value: [request.params.slug] }] } });
      const organization = found.organizations[0];
      if (!organization) return reply.code(404).send({ error_type: 'organization_not_found', error_message: 'No organization has that slug.' });
      const sso = await client.sso.getConnections({ organization_id: organization.organization_id });
      const connections = [...sso.oidc_connections, ...sso.saml_connections].map((c) => ({ connection_id: c.connection_id, display_name: c.display_name }));
      return { organization_id: organization.organization_id, organization_name: organization.organization_name, sso_connections: connections };
    } catch (error) {
      return sendError(reply, error);
    }
  });

  // Organization login by email magic link (a member gets a login link, a new address a sign-up link).
  app.post<{ Body: { organization_id: string; email_address: string } }>('/api/login', async (request, reply) => {
    try {
      const redirect = `${appUrl(request)}/authenticate`;
      await client.magicLinks.email.loginOrSignup({ ...request.body, login_redirect_url: redirect, signup_redirect_url: redirect });
      return { sent: true };
    } catch (error) {
      return sendError(reply, error);
    }
  });

  // An admin invites a colleague: only members whose roles allow stytch.member:create.
  app.post<{ Body: { email_address: string } }>('/api/invite', async (request, reply) => {
    const admin = await authorized(request, reply, 'stytch.member', 'create');
    if (!admin) return reply;
    try {
      const invited = await client.magicLinks.email.invite({
        organization_id: admin.organization.organization_id,
        email_address: request.body.email_address,
        invited_by_member_id: admin.member.member_id,
        invite_redirect_url: `${appUrl(request)}/authenticate`,
      });
      return { member_id: invited.member_id };
    } catch (error) {
      return sendError(reply, error);
    }
  });

  // The organization's members and whether each holds billing-viewer: for admins (stytch.member:search).
  app.get('/api/members', async (request, reply) => {
    const admin = await authorized(request, reply, 'stytch.member', 'search');
    if (!admin) return reply;
    try {
      const { members } = await client.organizations.members.search({ organization_ids: [admin.organization.organization_id] });
      return { members: members.map((m) => ({ member_id: m.member_id, email_address: m.email_address, roles: m.roles.map((role) => role.role_id) })) };
    } catch (error) {
      return sendError(reply, error);
    }
  });

  // Grants or takes back billing-viewer (stytch.member:update.settings.roles). Only the roles assigned directly are
  // written: those an organization rule or an SSO group gives stay theirs.
  app.put<{ Params: { member_id: string }; Body: { billing_viewer: boolean } }>('/api/members/:member_id/billing-viewer', async (request, reply) => {
    const admin = await authorized(request, reply, 'stytch.member', 'update.settings.roles');
    if (!admin) return reply;
    try {
      const { organization_id } = admin.organization;
      const { member } = await client.organizations.members.get({ organization_id, member_id: request.params.member_id });
      const direct = member.roles.filter((role) => role.sources.some((source) => source.type === 'direct_assignment')).map((role) => role.role_id);
      // stytch_member is every member's: never written.
      const kept = direct.filter((role) => role !== 'billing-viewer' && role !== 'stytch_member');
      const roles = [...kept, ...(request.body.billing_viewer ? ['billing-viewer'] : [])];
      await client.organizations.members.update({ organization_id, member_id: member.member_id, roles });
      return { roles };
    } catch (error) {
      return sendError(reply, error);
    }
  });

  // The billing page's data: only for roles with billing:read (the custom billing-viewer role).
  app.get('/api/billing', async (request, reply) => {
    const viewer = await authorized(request, reply, 'billing', 'read');
    if (!viewer) return reply;
    return { organization: viewer.organization.organization_name, invoices: [{ id: 'INV-001', amount: '€ 420.00', status: 'paid' }] };
  });

  // SSO set-up: an admin connects the organization to an OpenID provider (stytch.sso:create) and lets
  // it bring new members (stytch.organization:update.settings.sso-jit-provisioning).
  app.post<{ Body: { display_name: string; issuer: string; client_id: string; client_secret: string } }>('/api/sso/oidc', async (request, reply) => {
    const admin = await authorized(request, reply, 'stytch.sso', 'create');
    if (!admin || !(await authorized(request, reply, 'stytch.organization', 'update.settings.sso-jit-provisioning'))) return reply;
    try {
      const { organization_id } = admin.organization;
      const { display_name, issuer, client_id, client_secret } = request.body;
      const created = await client.sso.oidc.createConnection({ organization_id, display_name });
      const updated = await client.sso.oidc.updateConnection({ organization_id, connection_id: created.connection!.connection_id, issuer, client_id, client_secret });
      // Whoever the company's identity provider signs in becomes a member on the first sign-in.
      await client.organizations.update({ organization_id, sso_jit_provisioning: 'ALL_ALLOWED' });
      return { connection_id: updated.connection!.connection_id, status: updated.connection!.status, redirect_url: updated.connection!.redirect_url };
    } catch (error) {
      return sendError(reply, error);
    }
  });

  // The end of an SSO sign-in: the token the provider's round trip brought back, for a member session.
  app.post<{ Body: { sso_token: string } }>('/api/sso/authenticate', async (request, reply) => {
    try {
      const signedIn = await client.sso.authenticate({ sso_token: request.body.sso_token, session_duration_minutes: 60 });
      return { session_token: signedIn.session_token, session_jwt: signedIn.session_jwt };
    } catch (error) {
      return sendError(reply, error);
    }
  });

  return app;
}
