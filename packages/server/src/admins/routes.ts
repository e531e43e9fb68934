// The dashboard's own API (/dashboard/api: sign in, the current session, sign out) and the
// management of admins (/v1/admins, what `gatehouse admin …` calls). Every other backend route takes
// the admin cookie through the auth hook in http/app.ts.
import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { formatTimestamp } from '../shared/clock.ts';
import type { ServerConfig } from '../shared/config.ts';
import { GatehouseError } from '../shared/errors.ts';
import type { App } from '../http/app.ts';
import { ok } from '../http/app.ts';
import type { Project, ProjectService } from '../projects/service.ts';
import type { RateLimiter } from '../rate-limit/limiter.ts';
import { dashboardHeaders } from './dashboard.ts';
import { ADMIN_COOKIE, PROJECT_HEADER, csrfTokenMatches, csrfTokenOf, readCookie, sessionEnded, type Admin, type AdminService, type ListedAdmin, type AdminWithPassword } from './service.ts';
import { REFUSE } from '../authz/actions.ts';

const Email = Type.String({ maxLength: 512 });
const Password = Type.String({ maxLength: 1024 });
const LoginBody = Type.Object({ email: Email, password: Password });
const EmailBody = Type.Object({ email: Email });
const PasswordBody = Type.Object({ email: Email, password: Type.Optional(Password) });

/** What the dashboard shows of the signed-in admin. */
const wireSessionAdmin = (admin: Admin) => ({ admin_id: admin.admin_id, email: admin.email, created_at: formatTimestamp(admin.created_at) });
const wireAdmin = (admin: Admin) => ({ ...wireSessionAdmin(admin), disabled_at: admin.disabled_at && formatTimestamp(admin.disabled_at) });
const wireListedAdmin = (admin: ListedAdmin) => ({ ...wireAdmin(admin), locked_until: admin.locked_until && formatTimestamp(admin.locked_until) });
const wireProject = (project: Project | null) => project && { project_id: project.project_id, environment: project.environment, public_token: project.public_token };
const withPassword = ({ admin, password }: AdminWithPassword) => ({ admin: wireAdmin(admin), ...(password !== undefined ? { password } : {}) });

const PUBLIC = { auth: 'public' as const, memberSession: 'refuse' as const };

export function registerAdminRoutes(app: App, deps: { admins: AdminService; projects: ProjectService; limiter: RateLimiter; config: ServerConfig }) {
  const { admins, projects, limiter, config } = deps;
  const secure = config.publicUrl.startsWith('https://');
  const cookie = (value: string, maxAgeSeconds: number) =>
    `${ADMIN_COOKIE}=${value}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${maxAgeSeconds}${secure ? '; Secure' : ''}`;
  const noStore = (_request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    dashboardHeaders(reply);
    void reply.header('cache-control', 'no-store');
    done();
  };
  const options = { config: PUBLIC, onRequest: noStore, schema: { hide: true } };

  app.post(
    '/dashboard/api/login',
    { ...options, schema: { hide: true, body: LoginBody }, preHandler: limiter.credentialEndpoint((body: { email?: unknown }) => body.email, 'admins') },
    async (request, reply) => {
      const login = await admins.login(request.body.email, request.body.password);
      // A browser that was signed in as someone else: that session ends here.
      const previous = readCookie(request.headers.cookie, ADMIN_COOKIE);
      if (previous !== undefined) await admins.logout(previous);
      void reply.header('set-cookie', cookie(login.token, config.admin.sessionMinutes * 60));
      return ok(request, { admin: wireSessionAdmin(login.admin), csrf_token: login.csrfToken });
    },
  );

  // No CSRF token needed: this is how a reloaded page learns it. Only a same-origin page can read it.
  app.get('/dashboard/api/session', options, async (request) => {
    const token = readCookie(request.headers.cookie, ADMIN_COOKIE);
    const admin = token === undefined ? null : await admins.authenticateSession(token);
    if (!admin) throw sessionEnded();
    const project = await admins.findDashboardProject(request.headers[PROJECT_HEADER]);
    return ok(request, { admin: wireSessionAdmin(admin), csrf_token: csrfTokenOf(token!), project: wireProject(project) });
  });

  app.post('/dashboard/api/logout', options, async (request, reply) => {
    const token = readCookie(request.headers.cookie, ADMIN_COOKIE);
    if (token !== undefined) {
      if (!csrfTokenMatches(token, request.headers['x-gatehouse-csrf'])) throw new GatehouseError('csrf_token_invalid');
      await admins.logout(token);
    }
    void reply.header('set-cookie', cookie('', 0));
    return ok(request, {});
  });

  // Admins are server-wide, so a project secret may manage them only if it is the first project's
  // (the one the dashboard shows): a second project's secret must not reach the first's data.
  const mayManageAdmins = async (request: FastifyRequest) => {
    if (request.actor.type === 'admin') return;
    const first = await projects.findFirstProject();
    if (request.actor.type !== 'project_secret' || first?.project_id !== request.projectId) throw new GatehouseError('cannot_manage_admins');
  };
  const manage = { config: REFUSE, preHandler: mayManageAdmins };

  app.get('/v1/admins', manage, async (request) => ok(request, { admins: (await admins.listAdmins()).map(wireListedAdmin) }));

  app.post('/v1/admins', { ...manage, schema: { body: PasswordBody } }, async (request) =>
    ok(request, withPassword(await admins.createAdmin(request.body.email, request.body.password, request.actor))),
  );

  app.post('/v1/admins/reset_password', { ...manage, schema: { body: PasswordBody } }, async (request) =>
    ok(request, withPassword(await admins.resetPassword(request.body.email, request.body.password, request.actor))),
  );

  for (const [path, disabled] of [['/v1/admins/disable', true], ['/v1/admins/enable', false]] as const) {
    app.post(path, { ...manage, schema: { body: EmailBody } }, async (request) =>
      ok(request, { admin: wireAdmin(await admins.setDisabled(request.body.email, disabled, request.actor)) }),
    );
  }
}
