// The OAuth endpoints' response shapes, as Stytch's API returns them.
import { formatTimestamp } from '../shared/clock.ts';
import type { MemberService } from '../members/service.ts';
import type { UserService } from '../users/service.ts';
import type { SessionService } from '../sessions/service.ts';
import { memberSessionResponse, sessionResponse } from '../sessions/wire.ts';
import { toWireDiscoveredOrganization, toWireIntermediateSession } from '../discovery/wire.ts';
import type { OAuthProviderRecord } from './providers.ts';
import type { OAuthService, OAuthTokenRow, OAuthRegistration } from './service.ts';
import { OAUTH_PRESETS } from './providers.ts';
import { oauthCallbackUrl } from './protocol.ts';

type Awaited2<T> = T extends Promise<infer U> ? U : T;

/** Stytch's provider_type names. */
const PROVIDER_TYPE = { google: 'Google', microsoft: 'Microsoft', github: 'GitHub' } as const;

/** A configured provider: never its secret; the endpoints in use (the override or the preset's); the redirect URI to register at the provider. */
export function toWireOAuthProvider(record: OAuthProviderRecord, publicUrl: string) {
  const preset = OAUTH_PRESETS[record.provider];
  const endpoint = (field: keyof OAuthProviderRecord['overrides']) => record.overrides[field] ?? preset[field];
  return {
    provider: record.provider,
    client_id: record.client_id,
    redirect_uri: oauthCallbackUrl(publicUrl, record.provider),
    custom_scopes: record.custom_scopes,
    scopes: preset.scopes,
    authorization_url: endpoint('authorization_url'),
    token_url: endpoint('token_url'),
    userinfo_url: endpoint('userinfo_url'),
    jwks_url: endpoint('jwks_url'),
    issuer: endpoint('issuer'),
    overridden: Object.entries(record.overrides).filter(([, value]) => value !== null && value !== undefined).map(([field]) => field),
    created_at: formatTimestamp(record.created_at),
    updated_at: formatTimestamp(record.updated_at),
  };
}

/** provider_values: Gatehouse does not keep the provider's tokens, so only the scopes are given. */
const providerValues = (row: OAuthTokenRow) => ({ access_token: '', refresh_token: '', id_token: '', expires_at: null, scopes: OAUTH_PRESETS[row.provider].scopes });

const toWireUserProvider = (registration: OAuthRegistration) => ({
  provider_type: PROVIDER_TYPE[registration.provider], provider_subject: registration.provider_subject,
  profile_picture_url: '', locale: '', oauth_user_registration_id: registration.registration_id,
});
const toWireMemberRegistration = (registration: OAuthRegistration) => ({
  provider_type: PROVIDER_TYPE[registration.provider], provider_subdomain: '', is_default: false, provider_subject: registration.provider_subject,
  profile_picture_url: '', locale: '', member_oauth_registration_id: registration.registration_id,
});

export async function toWireUserAuthentication(result: Awaited2<ReturnType<OAuthService['authenticateUser']>>, oauth: OAuthService, sessions: SessionService, users: UserService) {
  const { grant, row } = result;
  const base = sessionResponse(grant, sessions, users);
  const providers = (await oauth.registrationsOf({ user_id: grant.user.user_id })).map(toWireUserProvider);
  return {
    ...base,
    user: { ...base.user, providers },
    user_session: base.session,
    oauth_user_registration_id: row.registration_id,
    provider_subject: row.provider_subject,
    provider_type: PROVIDER_TYPE[row.provider],
    provider_values: providerValues(row),
    reset_sessions: false,
    user_device: null,
  };
}

export async function toWireMemberAuthentication(result: Awaited2<ReturnType<OAuthService['authenticateMember']>>, oauth: OAuthService, sessions: SessionService, members: MemberService) {
  const { grant, row } = result;
  const base = memberSessionResponse(grant, sessions, members);
  const registrations = (await oauth.registrationsOf({ member_id: grant.member.member_id })).map(toWireMemberRegistration);
  return {
    ...base,
    member: { ...base.member, oauth_registrations: registrations },
    provider_subject: row.provider_subject,
    provider_type: PROVIDER_TYPE[row.provider],
    provider_tenant_id: row.tenant_id,
    provider_values: providerValues(row),
    reset_sessions: false,
    member_device: null,
  };
}

export function toWireDiscoveryAuthentication(result: Awaited2<ReturnType<OAuthService['authenticateDiscovery']>>, members: MemberService) {
  const { intermediate, discovered, row } = result;
  return {
    ...toWireIntermediateSession(intermediate),
    email_address: row.email_address,
    discovered_organizations: discovered.map((entry) => toWireDiscoveredOrganization(entry, members)),
    provider_type: PROVIDER_TYPE[row.provider],
    provider_tenant_id: row.tenant_id,
    provider_tenant_ids: row.tenant_id ? [row.tenant_id] : [],
    full_name: row.full_name,
  };
}
