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

/**
 * The organization auth method (Stytch's allowed_auth_methods names: magic_link, email_otp,
 * password, sso, …) a factor proves: its type, but an email passcode is `email_otp`.
 */
export function authMethodOfFactor(factor: Pick<AuthenticationFactor, 'type' | 'delivery_method'>): string {
  if (factor.type === 'otp') return factor.delivery_method === 'email' ? 'email_otp' : `${factor.delivery_method}_otp`;
  return factor.type;
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
