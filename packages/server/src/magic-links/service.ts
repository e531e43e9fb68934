// Email magic links, as Stytch's consumer API has them: login_or_create, send, invite,
// revoke_invite and authenticate. A link carries a one-time token (tokens.ts); following it and
// handing the token to /v1/magic_links/authenticate verifies the address, activates a pending
// user and, with session_duration_minutes, starts a session.
import { systemActor } from '../audit/log.ts';
import type { Actor } from '../projects/service.ts';
import type { Clock } from '../shared/clock.ts';
import type { Environment } from '../shared/config.ts';
import { composeMessage } from '../email/messages.ts';
import type { Mailer } from '../email/mailer.ts';
import { GatehouseError, isGatehouseError } from '../shared/errors.ts';
import { emailLinkFactor } from '../sessions/factors.ts';
import type { Metadata } from '../shared/metadata.ts';
import { REDIRECT_URL_FIELDS, type RedirectUrlService } from '../redirect-urls/service.ts';
import type { SessionGrant, SessionInput, SessionService } from '../sessions/service.ts';
import type { SqlExecutor } from '../store/database.ts';
import type { UserName, UserService } from '../users/service.ts';
import { checkCodeChallenge, checkExpiration, tokenLink, type EmailTokenRow, type EmailTokens, type TokenErrors, type TokenPurpose } from './tokens.ts';

export const MAGIC_LINK_DEFAULTS = {
  loginExpirationMinutes: 60,
  signupExpirationMinutes: 10_080,
  inviteExpirationMinutes: 10_080,
} as const;

const MAGIC_LINK_ERRORS: TokenErrors = { notFound: 'magic_link_not_found', unusable: 'unable_to_auth_magic_link' };

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** The address as given (trimmed), after the same check users/ applies. */
export function checkEmail(email: string): string {
  const trimmed = email.trim();
  if (trimmed.length > 254 || !EMAIL.test(trimmed)) throw new GatehouseError('invalid_email', { params: { email: email.slice(0, 254) } });
  return trimmed;
}

export interface EmailOwner {
  user_id: string;
  email_id: string;
  email: string;
  status: 'active' | 'pending';
}

/** Who has this address in the project (addresses are unique per project, case-insensitively). */
export async function findEmailOwner(db: SqlExecutor, projectId: string, email: string): Promise<EmailOwner | null> {
  const { rows } = await db.query<EmailOwner>(
    `SELECT e.user_id, e.email_id, e.email, u.status
       FROM user_emails e JOIN users u ON u.user_id = e.user_id
      WHERE e.project_id = $1 AND e.email_normalized = $2`,
    [projectId, email.toLowerCase()],
  );
  return rows[0] ?? null;
}

export interface SendInput {
  email: string;
  login_magic_link_url?: string;
  signup_magic_link_url?: string;
  login_expiration_minutes?: number;
  signup_expiration_minutes?: number;
  code_challenge?: string;
}

export interface InviteInput {
  email: string;
  invite_magic_link_url?: string;
  invite_expiration_minutes?: number;
  name?: Partial<UserName>;
  trusted_metadata?: unknown;
  untrusted_metadata?: unknown;
}

export interface AuthenticateInput extends SessionInput {
  token: string;
  code_verifier?: string;
}

export interface MagicLinkDeps {
  db: SqlExecutor;
  tokens: EmailTokens;
  users: UserService;
  sessions: SessionService;
  mailer: Mailer;
  redirectUrls: RedirectUrlService;
  clock: Clock;
}

export class MagicLinkService {
  readonly #deps: MagicLinkDeps;

  constructor(deps: MagicLinkDeps) {
    this.#deps = deps;
  }

  /** Existing address: a login link. New address: a new user (pending if asked) and a sign-up link. */
  async loginOrCreate(projectId: string, environment: Environment, input: SendInput & { create_user_as_pending?: boolean }, actor: Actor = systemActor('magic_links')) {
    const email = checkEmail(input.email);
    await this.#checkSendOptions(projectId, input);
    let owner = await findEmailOwner(this.#deps.db, projectId, email);
    // The link's URL is settled before the user is written, so a missing default writes nothing.
    let url = await this.#loginOrSignupUrl(projectId, input, signsUp(owner, false));
    let userCreated = false;
    if (!owner) {
      try {
        const user = await this.#deps.users.createUser(projectId, environment, { email, create_user_as_pending: input.create_user_as_pending ?? false }, actor);
        owner = { user_id: user.user_id, email_id: user.emails[0]!.email_id, email: user.emails[0]!.email, status: user.status };
        userCreated = true;
      } catch (error) {
        // Another request created the address meanwhile: it is an existing user now.
        if (!isGatehouseError(error, 'duplicate_email')) throw error;
        owner = await findEmailOwner(this.#deps.db, projectId, email);
        if (!owner) throw error;
        // The other request's user may already be active: then this is a login.
        url = await this.#loginOrSignupUrl(projectId, input, signsUp(owner, false));
      }
    }
    await this.#sendLoginOrSignup(projectId, owner, userCreated, input, url);
    return { user_id: owner.user_id, email_id: owner.email_id, user_created: userCreated };
  }

  /**
   * A link for an existing address only. With user_id or a session, the address must be that
   * user's: attaching a new address to a signed-in user (Stytch's use of these fields) is not
   * supported yet and is refused rather than ignored.
   */
  async send(projectId: string, environment: Environment, input: SendInput & { user_id?: string } & Pick<SessionInput, 'session_token' | 'session_jwt'>) {
    const email = checkEmail(input.email);
    await this.#checkSendOptions(projectId, input);
    const owner = await findEmailOwner(this.#deps.db, projectId, email);
    const named = [input.user_id];
    if (input.session_token !== undefined || input.session_jwt !== undefined) {
      const presented = await this.#deps.sessions.authenticate(projectId, environment, { session_token: input.session_token, session_jwt: input.session_jwt });
      named.push(presented.user.user_id);
    }
    if (named.some((userId) => userId !== undefined && userId !== owner?.user_id)) {
      throw new GatehouseError('email_not_owned_by_user');
    }
    if (!owner) throw new GatehouseError('login_email_not_found');
    await this.#sendLoginOrSignup(projectId, owner, false, input, await this.#loginOrSignupUrl(projectId, input, signsUp(owner, false)));
    return { user_id: owner.user_id, email_id: owner.email_id };
  }

  /** Creates a pending user (or re-invites one) and sends an invite link; an active user is refused. */
  async invite(projectId: string, environment: Environment, input: InviteInput) {
    const email = checkEmail(input.email);
    const minutes = checkExpiration(input.invite_expiration_minutes, MAGIC_LINK_DEFAULTS.inviteExpirationMinutes, 'invite_expiration_minutes');
    const url = await this.#deps.redirectUrls.resolve(projectId, 'INVITE', input.invite_magic_link_url, REDIRECT_URL_FIELDS.invite_magic_link_url);
    let owner = await findEmailOwner(this.#deps.db, projectId, email);
    if (owner?.status === 'active') {
      throw new GatehouseError('user_email_already_active');
    }
    if (!owner) {
      const user = await this.#deps.users.createUser(projectId, environment, {
        email,
        name: input.name,
        trusted_metadata: input.trusted_metadata,
        untrusted_metadata: input.untrusted_metadata,
        create_user_as_pending: true,
      }, systemActor('magic_links.invite'));
      owner = { user_id: user.user_id, email_id: user.emails[0]!.email_id, email: user.emails[0]!.email, status: user.status };
    }
    await this.#issueAndSend(projectId, owner, 'invite', minutes, (token) => tokenLink(url, 'magic_links', token));
    return { user_id: owner.user_id, email_id: owner.email_id };
  }

  /** Voids the address's outstanding invites. The user stays (pending) until deleted. */
  async revokeInvite(projectId: string, emailInput: string): Promise<void> {
    const owner = await findEmailOwner(this.#deps.db, projectId, checkEmail(emailInput));
    if (!owner) throw new GatehouseError('email_not_found');
    await this.#deps.tokens.revoke(projectId, owner.email_id, ['invite']);
  }

  async authenticate(projectId: string, environment: Environment, input: AuthenticateInput) {
    const row = await this.#deps.tokens.check(projectId, input.token, ['login', 'signup', 'invite'], MAGIC_LINK_ERRORS, input.code_verifier);
    const grant = await spendAndGrant(this.#deps, projectId, environment, row, MAGIC_LINK_ERRORS, input);
    return { grant, method_id: row.email_id };
  }

  /** `url` is #loginOrSignupUrl's answer for the same flow. */
  async #sendLoginOrSignup(projectId: string, owner: EmailOwner, userCreated: boolean, input: SendInput, url: string): Promise<void> {
    const link = (token: string) => tokenLink(url, 'magic_links', token);
    if (signsUp(owner, userCreated)) {
      const minutes = checkExpiration(input.signup_expiration_minutes, MAGIC_LINK_DEFAULTS.signupExpirationMinutes, 'signup_expiration_minutes');
      await this.#issueAndSend(projectId, owner, 'signup', minutes, link, input.code_challenge);
    } else {
      const minutes = checkExpiration(input.login_expiration_minutes, MAGIC_LINK_DEFAULTS.loginExpirationMinutes, 'login_expiration_minutes');
      await this.#issueAndSend(projectId, owner, 'login', minutes, link, input.code_challenge);
    }
  }

  /** The registered URL of the sign-up or login link: the one given, or the type's default. */
  #loginOrSignupUrl(projectId: string, input: SendInput, signup: boolean): Promise<string> {
    const { redirectUrls } = this.#deps;
    return signup
      ? redirectUrls.resolve(projectId, 'SIGNUP', input.signup_magic_link_url, REDIRECT_URL_FIELDS.signup_magic_link_url)
      : redirectUrls.resolve(projectId, 'LOGIN', input.login_magic_link_url, REDIRECT_URL_FIELDS.login_magic_link_url);
  }

  /** Every option of send/login_or_create checked up front (both URLs, whichever flow follows), so a bad one writes nothing. */
  async #checkSendOptions(projectId: string, input: SendInput): Promise<void> {
    checkExpiration(input.login_expiration_minutes, MAGIC_LINK_DEFAULTS.loginExpirationMinutes, 'login_expiration_minutes');
    checkExpiration(input.signup_expiration_minutes, MAGIC_LINK_DEFAULTS.signupExpirationMinutes, 'signup_expiration_minutes');
    checkCodeChallenge(input.code_challenge);
    if (input.login_magic_link_url) await this.#loginOrSignupUrl(projectId, input, false);
    if (input.signup_magic_link_url) await this.#loginOrSignupUrl(projectId, input, true);
  }

  #issueAndSend(projectId: string, owner: EmailOwner, purpose: TokenPurpose, minutes: number, link: (token: string) => string, codeChallenge?: string) {
    const subject = { user_id: owner.user_id, email_id: owner.email_id };
    return mailToken(this.#deps, { projectId, subject, to: owner.email, purpose, minutes, link, codeChallenge: checkCodeChallenge(codeChallenge) });
  }
}

/** Issues a token and mails its link; a message that cannot be sent voids the token. */
export async function mailToken<Ids extends Record<string, string>>(
  deps: { tokens: EmailTokens<any, Ids>; mailer: Mailer },
  input: {
    projectId: string; subject: Ids; to: string; purpose: TokenPurpose; minutes: number; link: (token: string) => string; codeChallenge?: string;
    /** A token the caller issued already (in its own transaction); else one is issued here. */
    issued?: { token: string; tokenHash: Buffer };
  },
): Promise<{ tokenHash: Buffer }> {
  const { tokens, mailer } = deps;
  const { projectId, purpose, minutes } = input;
  const { token, tokenHash } = input.issued ?? await tokens.issue({ projectId, subject: input.subject, purpose, expiresInMinutes: minutes, codeChallenge: input.codeChallenge });
  try {
    await mailer.send(composeMessage({ projectId, to: input.to, kind: purpose, link: input.link(token), expiresInMinutes: minutes }));
  } catch (error) {
    await tokens.discard(tokenHash);
    throw error;
  }
  return { tokenHash };
}

/** A user who never confirmed an address (new, or still pending) gets the sign-up flow. */
function signsUp(owner: EmailOwner | null, userCreated: boolean): boolean {
  return !owner || userCreated || owner.status === 'pending';
}

/**
 * After a token was checked: spends it (verifying the address, activating the user) and grants the
 * session with the email link factor. A presented session must be the same user's, checked before
 * the token is spent; a session field refused by the grant puts the token back, so a refused
 * request leaves the link usable.
 */
export async function spendAndGrant(
  deps: Pick<MagicLinkDeps, 'tokens' | 'users' | 'sessions' | 'clock'>,
  projectId: string,
  environment: Environment,
  row: EmailTokenRow,
  errors: TokenErrors,
  input: SessionInput,
): Promise<SessionGrant> {
  const { tokens, users, sessions, clock } = deps;
  if (input.session_token !== undefined || input.session_jwt !== undefined) {
    const presented = await sessions.authenticate(projectId, environment, { session_token: input.session_token, session_jwt: input.session_jwt });
    if (presented.user.user_id !== row.user_id) throw new GatehouseError('session_user_mismatch');
  }
  return tokens.spendThen(row, errors, async () => {
    const user = await users.requireUser(projectId, row.user_id);
    return sessions.grant(projectId, environment, user, emailLinkFactor(row.email_id, row.email, clock.now()), {
      session_token: input.session_token,
      session_jwt: input.session_jwt,
      session_duration_minutes: input.session_duration_minutes,
      session_custom_claims: input.session_custom_claims as Metadata | undefined,
      callerAttributes: input.callerAttributes,
    });
  });
}
