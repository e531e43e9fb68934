import { Type } from '@sinclair/typebox';
import { environmentOfProject } from '@gatehouse/contracts';
import { formatTimestamp } from '../clock.ts';
import type { App } from '../http/app.ts';
import { ok } from '../http/app.ts';
import { immutableWire } from '../http/json.ts';
import type { RbacService } from '../rbac/service.ts';
import type { UserRecord, UserService } from './service.ts';
import { REFUSE } from '../authz/actions.ts';

const Name = Type.Object({
  first_name: Type.Optional(Type.String()),
  middle_name: Type.Optional(Type.String()),
  last_name: Type.Optional(Type.String()),
});
// Metadata is checked in the service (object, key count, size) for Stytch's specific error types.
const Metadata = Type.Unknown();
const Roles = Type.Array(Type.String({ minLength: 1, maxLength: 128 }), { maxItems: 1000 });

export const CreateUserBody = Type.Object({
  email: Type.Optional(Type.String()),
  phone_number: Type.Optional(Type.String()),
  name: Type.Optional(Name),
  create_user_as_pending: Type.Optional(Type.Boolean()),
  trusted_metadata: Type.Optional(Metadata),
  untrusted_metadata: Type.Optional(Metadata),
  external_id: Type.Optional(Type.String()),
  roles: Type.Optional(Roles),
});

export const UpdateUserBody = Type.Object({
  name: Type.Optional(Name),
  trusted_metadata: Type.Optional(Metadata),
  untrusted_metadata: Type.Optional(Metadata),
  external_id: Type.Optional(Type.String()),
  roles: Type.Optional(Roles),
});

export const SearchUsersBody = Type.Object({
  cursor: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  limit: Type.Optional(Type.Integer()),
  query: Type.Optional(
    Type.Union([
      Type.Object({
        operator: Type.Optional(Type.Union([Type.Literal('AND'), Type.Literal('OR')])),
        operands: Type.Array(Type.Object({ filter_name: Type.String(), filter_value: Type.Unknown() }), { maxItems: 50 }),
      }),
      Type.Null(),
    ]),
  ),
});

export const AuthorizeUserBody = Type.Object({
  user_id: Type.String(),
  authorization_check: Type.Object({ resource_id: Type.String(), action: Type.String() }),
});

const UserIdParams = Type.Object({ user_id: Type.String() });

/**
 * The wire form of each user record, kept while the record lives: sessions/authenticate answers from
 * cached records, so the same user is formatted once, not on every request. `is_locked` depends on
 * the time, so a change of it makes a new one. Wire objects are never changed after they are made.
 */
const wireUsers = new WeakMap<UserRecord, { locked: boolean; wire: ReturnType<typeof buildWireUser> }>();

/** The User object as Stytch's API returns it. */
export function toWireUser(user: UserRecord, users: UserService) {
  const locked = users.isLocked(user);
  const known = wireUsers.get(user);
  if (known?.locked === locked) return known.wire;
  const wire = immutableWire(buildWireUser(user, users, locked));
  wireUsers.set(user, { locked, wire });
  return wire;
}

function buildWireUser(user: UserRecord, users: UserService, locked: boolean) {
  return {
    user_id: user.user_id,
    emails: user.emails,
    status: user.status,
    phone_numbers: user.phone_numbers,
    webauthn_registrations: [],
    providers: [],
    totps: [],
    crypto_wallets: [],
    biometric_registrations: [],
    is_locked: locked,
    roles: users.effectiveRoles(user),
    name: user.name,
    created_at: formatTimestamp(user.created_at),
    password: user.password,
    trusted_metadata: user.trusted_metadata,
    untrusted_metadata: user.untrusted_metadata,
    external_id: user.external_id,
    lock_created_at: locked && user.lock_created_at ? formatTimestamp(user.lock_created_at) : null,
    lock_expires_at: locked && user.lock_expires_at ? formatTimestamp(user.lock_expires_at) : null,
  };
}

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
