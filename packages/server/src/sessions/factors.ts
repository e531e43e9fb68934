// The authentication factors that credentials add to a session (consumer and B2B alike).
import { formatTimestamp } from '../shared/clock.ts';
import type { AuthenticationFactor } from './service.ts';

/** A factor proven through an email address: a password (knowledge), an email link or an email passcode. */
export function emailFactor(type: 'password' | 'magic_link' | 'otp', deliveryMethod: 'knowledge' | 'email', emailId: string, email: string, at: Date): AuthenticationFactor {
  const time = formatTimestamp(at);
  return {
    type,
    delivery_method: deliveryMethod,
    last_authenticated_at: time,
    created_at: time,
    updated_at: time,
    email_factor: { email_id: emailId, email_address: email },
  };
}

export const passwordFactor = (emailId: string, email: string, at: Date) => emailFactor('password', 'knowledge', emailId, email, at);
export const emailLinkFactor = (emailId: string, email: string, at: Date) => emailFactor('magic_link', 'email', emailId, email, at);
/** An email one-time passcode: Stytch's factor type `otp`, delivered by `email`. */
export const emailOtpFactor = (emailId: string, email: string, at: Date) => emailFactor('otp', 'email', emailId, email, at);

/** An SMS one-time passcode: Stytch's factor type `otp`, delivered by `sms`, naming the phone (a user's phone_id; for a member, the member id). */
export function smsOtpFactor(phoneId: string, phoneNumber: string, at: Date): AuthenticationFactor {
  const time = formatTimestamp(at);
  return {
    type: 'otp',
    delivery_method: 'sms',
    last_authenticated_at: time,
    created_at: time,
    updated_at: time,
    phone_number_factor: { phone_id: phoneId, phone_number: phoneNumber },
  };
}

/** A sign-in through an SSO connection: the factor names the connection and the member's registration. */
export function ssoFactor(kind: 'saml' | 'oidc', registrationId: string, connectionId: string, externalId: string, at: Date): AuthenticationFactor {
  const time = formatTimestamp(at);
  return {
    type: 'sso',
    delivery_method: kind === 'saml' ? 'sso_saml' : 'sso_oidc',
    last_authenticated_at: time,
    created_at: time,
    updated_at: time,
    [kind === 'saml' ? 'saml_sso_factor' : 'oidc_sso_factor']: { id: registrationId, provider_id: connectionId, external_id: externalId },
  };
}

/** The SSO connections a session's factors come from. */
export function ssoConnectionIds(factors: readonly AuthenticationFactor[]): Set<string> {
  const ids = new Set<string>();
  for (const factor of factors) {
    const sso = (factor.saml_sso_factor ?? factor.oidc_sso_factor) as { provider_id?: unknown } | undefined;
    if (typeof sso?.provider_id === 'string') ids.add(sso.provider_id);
  }
  return ids;
}

/** A sign-in through an OAuth provider (Stytch's `<provider>_oauth_factor`); registrationId '' when no account is known yet (discovery). */
export function oauthFactor(provider: string, registrationId: string, providerSubject: string, emailId: string, at: Date): AuthenticationFactor {
  const time = formatTimestamp(at);
  return {
    type: 'oauth',
    delivery_method: `oauth_${provider}`,
    last_authenticated_at: time,
    created_at: time,
    updated_at: time,
    [`${provider}_oauth_factor`]: { id: registrationId, provider_subject: providerSubject, email_id: emailId },
  };
}

/**
 * The organization's name of the primary method a factor proves (allowed_auth_methods' values:
 * magic_link, password, sso, email_otp, google_oauth, …); null for an MFA factor.
 */
export function authMethodOf(factor: AuthenticationFactor): string | null {
  if (factor.type === 'otp') return factor.delivery_method === 'email' ? 'email_otp' : null;
  if (factor.type === 'oauth') return `${factor.delivery_method.replace(/^oauth_/, '')}_oauth`;
  if (isMfaFactor(factor)) return null;
  return factor.type;
}

/** A second factor: TOTP, an SMS one-time passcode, a recovery code. */
export function isMfaFactor(factor: AuthenticationFactor): boolean {
  return factor.type === 'totp' || factor.type === 'recovery_codes' || (factor.type === 'otp' && factor.delivery_method === 'sms');
}

/**
 * The factors a session exchange carries into another organization: those proven through the email
 * address (an email magic link or email one-time passcode) and OAuth — Stytch's rule; a password, an
 * SSO sign-in and MFA factors belong to the organization they were proven in.
 */
export function isPortableFactor(factor: AuthenticationFactor): boolean {
  return (factor.type === 'magic_link' && factor.delivery_method === 'email') || (factor.type === 'otp' && factor.delivery_method === 'email') || factor.type === 'oauth';
}

/** A factor proven through an address, now naming the member it signs in (discovery's name no member yet; an exchange's another). */
export function forMember(factor: AuthenticationFactor, member: { member_id: string; email_address: string }): AuthenticationFactor {
  return factor.email_factor ? { ...factor, email_factor: { email_id: member.member_id, email_address: member.email_address } } : factor;
}

/** A TOTP code from an authenticator app (consumer totp_id, B2B totp_registration_id). */
export function totpFactor(totpId: string, at: Date): AuthenticationFactor {
  const time = formatTimestamp(at);
  return { type: 'totp', delivery_method: 'authenticator_app', last_authenticated_at: time, created_at: time, updated_at: time, authenticator_app_factor: { totp_id: totpId } };
}

/** A TOTP registration's recovery code. */
export function recoveryCodeFactor(totpId: string, at: Date): AuthenticationFactor {
  const time = formatTimestamp(at);
  return { type: 'recovery_codes', delivery_method: 'recovery_code', last_authenticated_at: time, created_at: time, updated_at: time, recovery_code_factor: { totp_recovery_code_id: totpId } };
}
