import { environmentOfProject } from '@gatehouse/contracts';
import type { App } from '../http/app.ts';
import { ok } from '../http/app.ts';
import type { RbacService } from '../rbac/service.ts';
import { AuthorizeUserBody, CreateUserBody, SearchUsersBody, UpdateUserBody, UserIdParams } from './schema.ts';
import type { UserService } from './service.ts';
import { toWireUser } from './wire.ts';
import { REFUSE } from '../authz/actions.ts';

export function registerUserRoutes(app: App, deps: { users: UserService; rbac: RbacService }) {
  const { users, rbac } = deps;

  app.post('/v1/users', { config: REFUSE, schema: { body: CreateUserBody } }, async (request) => {
    const user = await users.createUser(request.projectId, environmentOfProject(request.projectId), request.body, request.actor);
    return ok(request, {
      user_id: user.user_id,
      email_id: user.emails[0]?.email_id ?? '',
      phone_id: user.phone_numbers[0]?.phone_id ?? '',
      status: user.status,
      user: toWireUser(user, users),
    });
  });

  app.get('/v1/users/:user_id', { config: REFUSE, schema: { params: UserIdParams } }, async (request) => {
    const user = await users.requireUser(request.projectId, request.params.user_id);
    return ok(request, toWireUser(user, users));
  });

  app.put('/v1/users/:user_id', { config: REFUSE, schema: { params: UserIdParams, body: UpdateUserBody } }, async (request) => {
    const user = await users.updateUser(request.projectId, request.params.user_id, request.body ?? {}, request.actor);
    const wire = toWireUser(user, users);
    return ok(request, {
      user_id: user.user_id,
      emails: wire.emails,
      phone_numbers: wire.phone_numbers,
      crypto_wallets: wire.crypto_wallets,
      user: wire,
    });
  });

  app.delete('/v1/users/:user_id', { config: REFUSE, schema: { params: UserIdParams } }, async (request) => {
    await users.deleteUser(request.projectId, request.params.user_id, request.actor);
    return ok(request, { user_id: request.params.user_id });
  });

  app.post('/v1/users/search', { config: REFUSE, schema: { body: SearchUsersBody } }, async (request) => {
    const body = request.body ?? {};
    const query = body.query ? { operator: body.query.operator ?? 'AND', operands: body.query.operands } : null;
    const page = await users.searchUsers(request.projectId, { cursor: body.cursor, limit: body.limit, query });
    return ok(request, {
      results: page.results.map((user) => toWireUser(user, users)),
      results_metadata: { total: page.total, next_cursor: page.next_cursor },
    });
  });

  // Gatehouse addition: "may this user do X?", answered from the user's roles and the cached policy.
  app.post('/v1/rbac/authorize', { config: REFUSE, schema: { body: AuthorizeUserBody } }, async (request) => {
    const { user_id, authorization_check } = request.body;
    const explicit = await users.requireExplicitRoles(request.projectId, user_id);
    const verdict = await rbac.authorize(
      request.projectId,
      'consumer',
      users.effectiveRoles({ explicit_roles: explicit }),
      authorization_check.resource_id,
      authorization_check.action,
    );
    return ok(request, { user_id, verdict });
  });
}
