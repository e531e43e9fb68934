// The authentication factors that credentials add to a session (consumer and B2B alike).
import { formatTimestamp } from '../shared/clock.ts';
import type { AuthenticationFactor } from './service.ts';

/** A factor proven through an email address: a password (knowledge) or an email link. */
export function emailFactor(type: 'password' | 'magic_link', deliveryMethod: 'knowledge' | 'email', emailId: string, email: string, at: Date): AuthenticationFactor {
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
