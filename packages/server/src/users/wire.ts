// The users API's response shapes.
import { formatTimestamp } from '../shared/clock.ts';
import { immutableWire } from '../http/json.ts';
import type { UserRecord, UserService } from './service.ts';

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
    totps: user.totps,
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
