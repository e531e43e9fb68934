// Consumer one-time passcodes, as Stytch has them: by SMS (to a user's phone number) and by email.
// login_or_create texts or mails a code to the number or address, creating a user for a new one
// (pending when asked); send does so for an existing one only. /v1/otps/authenticate takes the
// method id the send answered (the phone_id or email_id) and the code: the number or address is
// verified, a pending user activated, and with session_duration_minutes a session started with the
// `otp` factor (delivery `sms` or `email`). The codes are otps/codes.ts' (kind 'user').
import { systemActor } from '../audit/log.ts';
import { composeCodeMessage } from '../email/messages.ts';
import type { Mailer } from '../email/mailer.ts';
import { composeCodeSms, type SmsSender } from '../email/sms.ts';
import { findEmailOwner } from '../magic-links/service.ts';
import { checkExpiration } from '../magic-links/tokens.ts';
import type { Clock } from '../shared/clock.ts';
import type { Environment } from '../shared/config.ts';
import { GatehouseError, isGatehouseError } from '../shared/errors.ts';
import { checkPhone, normalizeEmail } from '../shared/fields.ts';
import type { Metadata } from '../shared/metadata.ts';
import { emailOtpFactor, smsOtpFactor } from '../sessions/factors.ts';
import type { SessionGrant, SessionInput, SessionService } from '../sessions/service.ts';
import type { SqlExecutor } from '../store/database.ts';
import { activateByVerifiedEmail, activateByVerifiedPhone } from '../users/repository.ts';
import type { UserService } from '../users/service.ts';
import { OTP_EXPIRATION_MINUTES, type OtpChannel, type OtpCodes } from './codes.ts';

/** Stytch's default lifetime of a consumer passcode (expiration_minutes), within the store's 2–15 minutes. */
export const USER_OTP_DEFAULT_MINUTES = 2;

/** Who has a phone number or email address in the project: the user, the method id, the address as stored. */
export interface MethodOwner {
  user_id: string;
  method_id: string;
  address: string;
  status: 'active' | 'pending';
}

export interface UserOtpSendInput {
  /** The phone number (sms) or email address (email). */
  address: string;
  expiration_minutes?: number;
  create_user_as_pending?: boolean;
  user_id?: string;
  session_token?: string;
  session_jwt?: string;
}

export interface UserOtpAuthenticateInput extends SessionInput {
  method_id: string;
  code: string;
}

export interface UserOtpDeps {
  db: SqlExecutor;
  codes: OtpCodes;
  users: UserService;
  sessions: SessionService;
  mailer: Mailer;
  sms: SmsSender;
  clock: Clock;
}

async function findPhoneOwner(db: SqlExecutor, projectId: string, phone: string): Promise<MethodOwner | null> {
  const { rows } = await db.query<MethodOwner>(
    `SELECT p.user_id, p.phone_id AS method_id, p.phone_number AS address, u.status
       FROM user_phone_numbers p JOIN users u ON u.user_id = p.user_id WHERE p.project_id = $1 AND p.phone_number = $2`,
    [projectId, phone],
  );
  return rows[0] ?? null;
}

/** The owner of a method id: a phone_id (sms) or an email_id (email); null when it is neither. */
async function findMethod(db: SqlExecutor, projectId: string, methodId: string): Promise<(MethodOwner & { channel: OtpChannel }) | null> {
  const { rows } = await db.query<MethodOwner & { channel: OtpChannel }>(
    `SELECT p.user_id, p.phone_id AS method_id, p.phone_number AS address, u.status, 'sms' AS channel
       FROM user_phone_numbers p JOIN users u ON u.user_id = p.user_id WHERE p.project_id = $1 AND p.phone_id = $2
     UNION ALL
     SELECT e.user_id, e.email_id, e.email, u.status, 'email'
       FROM user_emails e JOIN users u ON u.user_id = e.user_id WHERE e.project_id = $1 AND e.email_id = $2`,
    [projectId, methodId],
  );
  return rows[0] ?? null;
}

export class UserOtpService {
  readonly #deps: UserOtpDeps;

  constructor(deps: UserOtpDeps) {
    this.#deps = deps;
  }

  /** A code to the number or address; a new one becomes a new user (pending if asked). */
  async loginOrCreate(projectId: string, environment: Environment, channel: OtpChannel, input: UserOtpSendInput): Promise<{ owner: MethodOwner; user_created: boolean }> {
    const address = checkAddress(channel, input.address);
    const minutes = minutesOf(input.expiration_minutes);
    let owner = await this.#owner(projectId, channel, address);
    let userCreated = false;
    if (!owner) {
      try {
        const user = await this.#deps.users.createUser(projectId, environment, {
          ...(channel === 'sms' ? { phone_number: address } : { email: address }),
          create_user_as_pending: input.create_user_as_pending ?? false,
        }, systemActor(`otps.${channel}`));
        owner = channel === 'sms'
          ? { user_id: user.user_id, method_id: user.phone_numbers[0]!.phone_id, address: user.phone_numbers[0]!.phone_number, status: user.status }
          : { user_id: user.user_id, method_id: user.emails[0]!.email_id, address: user.emails[0]!.email, status: user.status };
        userCreated = true;
      } catch (error) {
        // Another request created the number or address meanwhile: it is an existing user now.
        if (!isGatehouseError(error, 'duplicate_phone_number') && !isGatehouseError(error, 'duplicate_email')) throw error;
        owner = await this.#owner(projectId, channel, address);
        if (!owner) throw error;
      }
    }
    await this.#send(projectId, channel, owner, minutes);
    return { owner, user_created: userCreated };
  }

  /**
   * A code to an existing number or address only. With user_id or a session it must be that user's:
   * attaching a new number or address to a signed-in user is not supported and is refused.
   */
  async send(projectId: string, environment: Environment, channel: OtpChannel, input: UserOtpSendInput): Promise<MethodOwner> {
    const address = checkAddress(channel, input.address);
    const minutes = minutesOf(input.expiration_minutes);
    const owner = await this.#owner(projectId, channel, address);
    const named = [input.user_id];
    if (input.session_token !== undefined || input.session_jwt !== undefined) {
      named.push((await this.#deps.sessions.authenticate(projectId, environment, { session_token: input.session_token, session_jwt: input.session_jwt })).user.user_id);
    }
    if (named.some((userId) => userId !== undefined && userId !== owner?.user_id)) {
      throw new GatehouseError(channel === 'sms' ? 'phone_number_not_owned_by_user' : 'email_not_owned_by_user');
    }
    if (!owner) throw new GatehouseError(channel === 'sms' ? 'phone_number_not_found' : 'login_email_not_found');
    await this.#send(projectId, channel, owner, minutes);
    return owner;
  }

  /**
   * The code sent to the method: checked (a try), spent with the number or address verified and the
   * user activated in the same transaction, then the session granted (if that fails the code is live
   * again; the verification stands — the number was proven).
   */
  async authenticate(projectId: string, environment: Environment, input: UserOtpAuthenticateInput): Promise<{ grant: SessionGrant; method_id: string }> {
    const { db, codes, users, sessions, clock } = this.#deps;
    const method = await findMethod(db, projectId, input.method_id);
    if (!method) throw new GatehouseError('otp_code_not_found');
    // A presented session of another user is refused before the code is tried.
    if (input.session_token !== undefined || input.session_jwt !== undefined) {
      const presented = await sessions.authenticate(projectId, environment, { session_token: input.session_token, session_jwt: input.session_jwt });
      if (presented.user.user_id !== method.user_id) throw new GatehouseError('session_user_mismatch');
    }
    const row = await codes.check({ projectId, kind: 'user', channel: method.channel, address: method.address, organizationId: null }, input.code);
    if (row.user_id !== method.user_id) throw new GatehouseError('unable_to_auth_otp_code');
    const now = clock.now();
    const { usedAt } = await codes.spend(row, async (tx) => {
      if (method.channel === 'sms') await activateByVerifiedPhone(tx, method.user_id, method.method_id, now);
      else await activateByVerifiedEmail(tx, method.user_id, method.method_id, now);
    });
    try {
      const user = await users.requireUser(projectId, method.user_id);
      const factor = method.channel === 'sms' ? smsOtpFactor(method.method_id, method.address, now) : emailOtpFactor(method.method_id, method.address, now);
      const grant = await sessions.grant(projectId, environment, user, factor, {
        session_token: input.session_token,
        session_jwt: input.session_jwt,
        session_duration_minutes: input.session_duration_minutes,
        session_custom_claims: input.session_custom_claims as Metadata | undefined,
        callerAttributes: input.callerAttributes,
      });
      return { grant, method_id: method.method_id };
    } catch (error) {
      await codes.unspend(row, usedAt);
      throw error;
    }
  }

  #owner(projectId: string, channel: OtpChannel, address: string): Promise<MethodOwner | null> {
    const { db } = this.#deps;
    if (channel === 'sms') return findPhoneOwner(db, projectId, address);
    return findEmailOwner(db, projectId, address).then((owner) => owner && { user_id: owner.user_id, method_id: owner.email_id, address: owner.email, status: owner.status });
  }

  /** Issues a code and texts or mails it; a message that cannot be sent voids its code. */
  async #send(projectId: string, channel: OtpChannel, owner: MethodOwner, minutes: number): Promise<void> {
    const { codes, mailer, sms } = this.#deps;
    const { code, otpId } = await codes.issue({ projectId, kind: 'user', channel, address: owner.address, organizationId: null, memberId: null, userId: owner.user_id, minutes });
    try {
      if (channel === 'sms') await sms.send(composeCodeSms({ projectId, to: owner.address, code, expiresInMinutes: minutes }));
      else await mailer.send(composeCodeMessage({ projectId, to: owner.address, code, expiresInMinutes: minutes }));
    } catch (error) {
      await codes.discard(otpId);
      throw error;
    }
  }
}

function checkAddress(channel: OtpChannel, address: string): string {
  return channel === 'sms' ? checkPhone(address) : normalizeEmail(address);
}

function minutesOf(minutes: number | undefined): number {
  return checkExpiration(minutes, USER_OTP_DEFAULT_MINUTES, 'expiration_minutes', OTP_EXPIRATION_MINUTES);
}
