// Password reset by email (Stytch's passwords/email/reset/start and passwords/email/reset): a
// one-time link to the address, then the token and a new password set it, verify the address, end
// the user's other sessions (as Stytch does) and start a session. reset/start answers the same for
// an address nobody has, so it cannot be used to find out who has an account.
import type { Clock } from '../shared/clock.ts';
import type { Environment } from '../shared/config.ts';
import type { Mailer } from '../email/mailer.ts';
import { newId } from '../shared/ids.ts';
import type { PasswordService } from './service.ts';
import type { SessionGrant, SessionService } from '../sessions/service.ts';
import type { ChangeFeed } from '../store/change-feed.ts';
import type { SqlExecutor } from '../store/database.ts';
import type { UserService } from '../users/service.ts';
import { checkEmail, findEmailOwner, mailToken, spendAndGrant, type AuthenticateInput } from '../magic-links/service.ts';
import { REDIRECT_URL_FIELDS, type RedirectUrlService } from '../redirect-urls/service.ts';
import { checkCodeChallenge, checkExpiration, tokenLink, type EmailTokens, type TokenErrors } from '../magic-links/tokens.ts';

export const RESET_PASSWORD_EXPIRATION_MINUTES = 30;

export const RESET_ERRORS: TokenErrors = { notFound: 'unable_to_auth_password_reset_token', unusable: 'unable_to_auth_password_reset_token' };

export interface ResetStartInput {
  email: string;
  reset_password_redirect_url?: string;
  reset_password_expiration_minutes?: number;
  code_challenge?: string;
  /** Not used for a link here, but a URL a caller passes is checked like every other. */
  login_redirect_url?: string;
}

/**
 * What every reset/start (consumer and B2B) settles before it looks the address up: the link's
 * lifetime, the PKCE challenge, the registered RESET_PASSWORD URL (and a given login URL, checked).
 */
export async function settleResetStart(
  redirectUrls: RedirectUrlService,
  projectId: string,
  input: Pick<ResetStartInput, 'reset_password_redirect_url' | 'reset_password_expiration_minutes' | 'code_challenge' | 'login_redirect_url'>,
): Promise<{ minutes: number; codeChallenge: string | undefined; url: string }> {
  const minutes = checkExpiration(input.reset_password_expiration_minutes, RESET_PASSWORD_EXPIRATION_MINUTES, 'reset_password_expiration_minutes');
  const codeChallenge = checkCodeChallenge(input.code_challenge);
  const url = await redirectUrls.resolve(projectId, 'RESET_PASSWORD', input.reset_password_redirect_url, REDIRECT_URL_FIELDS.reset_password_redirect_url);
  if (input.login_redirect_url) await redirectUrls.resolve(projectId, 'LOGIN', input.login_redirect_url, REDIRECT_URL_FIELDS.login_redirect_url);
  return { minutes, codeChallenge, url };
}

export interface ResetInput extends AuthenticateInput {
  password: string;
}

export interface PasswordResetDeps {
  db: SqlExecutor;
  feed: ChangeFeed;
  tokens: EmailTokens;
  users: UserService;
  sessions: SessionService;
  passwords: PasswordService;
  mailer: Mailer;
  redirectUrls: RedirectUrlService;
  clock: Clock;
}

export class PasswordResetService {
  readonly #deps: PasswordResetDeps;

  constructor(deps: PasswordResetDeps) {
    this.#deps = deps;
  }

  /**
   * Sends the reset link when the address has a user. Either way the answer has the same shape
   * (an unknown address gets ids that name nobody) and the token and message are made after the
   * response, so neither the answer nor its timing tells whether an account exists.
   */
  async start(projectId: string, environment: Environment, input: ResetStartInput): Promise<{ user_id: string; email_id: string }> {
    const { db, tokens, mailer, redirectUrls } = this.#deps;
    const email = checkEmail(input.email);
    // Settled before the address is looked up: a known and an unknown address get the same refusal.
    const { minutes, codeChallenge, url } = await settleResetStart(redirectUrls, projectId, input);
    const owner = await findEmailOwner(db, projectId, email);
    if (!owner) return { user_id: newId('user', environment), email_id: newId('email', environment) };
    // Even the token's write happens after the answer: both paths answer after the same one read.
    mailer.inBackground('password reset email', async () => {
      const link = (token: string) => tokenLink(url, 'reset_password', token);
      const subject = { user_id: owner.user_id, email_id: owner.email_id };
      await mailToken({ tokens, mailer }, { projectId, subject, to: owner.email, purpose: 'reset_password', minutes, link, codeChallenge });
    });
    return { user_id: owner.user_id, email_id: owner.email_id };
  }

  /**
   * Sets the new password. Everything that can be refused is checked before anything changes:
   * the token, PKCE, the password's strength, the presented session. Then the token is spent, the
   * session granted (a refused session field puts the token back), the password stored and the
   * user's other sessions revoked.
   */
  async reset(projectId: string, environment: Environment, input: ResetInput): Promise<SessionGrant> {
    const { tokens, users, passwords } = this.#deps;
    const row = await tokens.check(projectId, input.token, ['reset_password'], RESET_ERRORS, input.code_verifier);
    const stored = await passwords.prepareNewPassword(input.password, row.email);
    const grant = await spendAndGrant(this.#deps, projectId, environment, row, RESET_ERRORS, input);
    await this.#deps.feed.write(async (tx, emit) => {
      await passwords.storePassword(tx, projectId, environment, row.user_id, stored);
      emit({ type: 'user', project_id: projectId, user_id: row.user_id });
    });
    await passwords.revokeSessions(projectId, row.user_id, grant.session?.session_id);
    // The user as it is now: with its password.
    return { ...grant, user: await users.requireUser(projectId, row.user_id) };
  }
}
