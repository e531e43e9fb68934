// Consumer TOTP and recovery codes, as Stytch has them: create a user's registration (secret, QR
// code, recovery codes; pending until its first right code), authenticate a code or recover with a
// recovery code — each starts a session or adds its factor to the one presented — and list the
// recovery codes.
import type { Clock } from '../shared/clock.ts';
import type { Environment } from '../shared/config.ts';
import { checkExpiration } from '../magic-links/tokens.ts';
import { recoveryCodeFactor, totpFactor } from '../sessions/factors.ts';
import { checkSessionInput, type SessionGrant, type SessionInput, type SessionService } from '../sessions/service.ts';
import type { UserRecord, UserService } from '../users/service.ts';
import { TOTP_EXPIRATION_MINUTES, type TotpRegistrations } from './registrations.ts';
import { totpQrCode } from './totp.ts';

export interface TotpDeps {
  registrations: TotpRegistrations;
  users: UserService;
  sessions: SessionService;
  clock: Clock;
  /** The issuer an authenticator app shows. */
  issuer: string;
}

/** The label an authenticator app shows for the user: its first email address, else its id. */
const labelOf = (user: UserRecord) => user.emails[0]?.email ?? user.phone_numbers[0]?.phone_number ?? user.user_id;

export class TotpService {
  readonly #deps: TotpDeps;

  constructor(deps: TotpDeps) {
    this.#deps = deps;
  }

  async create(projectId: string, environment: Environment, input: { user_id: string; expiration_minutes?: number }) {
    const { registrations, users, issuer } = this.#deps;
    const user = await users.requireUser(projectId, input.user_id);
    const minutes = checkExpiration(input.expiration_minutes, TOTP_EXPIRATION_MINUTES.fallback, 'expiration_minutes', TOTP_EXPIRATION_MINUTES);
    const created = await registrations.create(projectId, environment, { userId: user.user_id }, minutes);
    return { user, totp_id: created.totp_id, secret: created.secret, qr_code: await totpQrCode(created.secret, issuer, labelOf(user)), recovery_codes: created.recovery_codes };
  }

  async authenticate(projectId: string, environment: Environment, input: SessionInput & { user_id: string; totp_code: string }): Promise<{ grant: SessionGrant; totp_id: string }> {
    const { registrations, users, sessions, clock } = this.#deps;
    await users.requireUser(projectId, input.user_id);
    // Checked before the code is tried: a refused session field costs no code.
    checkSessionInput(input);
    const totpId = await registrations.authenticate(projectId, { userId: input.user_id }, input.totp_code);
    const user = await users.requireUser(projectId, input.user_id);
    return { grant: await sessions.grant(projectId, environment, user, totpFactor(totpId, clock.now()), input), totp_id: totpId };
  }

  async recover(projectId: string, environment: Environment, input: SessionInput & { user_id: string; recovery_code: string }): Promise<{ grant: SessionGrant; totp_id: string }> {
    const { registrations, users, sessions, clock } = this.#deps;
    const user = await users.requireUser(projectId, input.user_id);
    checkSessionInput(input);
    const { totp_id } = await registrations.recover(projectId, { userId: user.user_id }, input.recovery_code);
    return { grant: await sessions.grant(projectId, environment, user, recoveryCodeFactor(totp_id, clock.now()), input), totp_id };
  }

  /** The user's verified registration with its unused recovery codes (none: an empty list). */
  async recoveryCodes(projectId: string, input: { user_id: string }) {
    const { registrations, users } = this.#deps;
    const user = await users.requireUser(projectId, input.user_id);
    const active = user.totps[0];
    if (!active) return { user, totps: [] };
    const { totp_id, recovery_codes } = await registrations.recoveryCodes(projectId, { userId: user.user_id });
    return { user, totps: [{ totp_id, verified: true, recovery_codes }] };
  }
}
