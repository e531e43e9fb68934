// The sessions API's response shapes: the session part of every authenticate-style response, and
// sessions/authenticate's own response text.
import type { AuthorizationVerdict } from '@gatehouse/policy';
import { formatTimestamp } from '../shared/clock.ts';
import { compactJwsJson, immutableWire, serializeWithImmutableWires } from '../http/json.ts';
import type { OrganizationRecord } from '../organizations/service.ts';
import type { MemberService } from '../members/service.ts';
import { toWireMember } from '../members/wire.ts';
import { toWireOrganization } from '../organizations/wire.ts';
import type { UserService } from '../users/service.ts';
import { toWireUser } from '../users/wire.ts';
import type { MemberSessionGrant, MemberSignIn, SessionGrant, SessionService } from './service.ts';
import type { SessionRecord } from './store.ts';

/** sessions/authenticate's JSON after `{"request_id":…,"status_code":200,`, per session wire form, with what it was made from. */
const authenticateTails = new WeakMap<object, { token: string; jwt: string; user: object; verdict: AuthorizationVerdict | undefined; text: string }>();

/**
 * sessions/authenticate's response as JSON text: exactly serializeWithImmutableWires(ok(...)). All
 * but the request id stays the same while the session's wire form (kept per second of last access),
 * token, JWT, user and verdict do, so that part is made once and reused.
 */
export function authenticateText(requestId: string, result: SessionGrant & { verdict?: AuthorizationVerdict }, sessions: SessionService, users: UserService): string {
  const session = toWireSession(result.session!, result.roles);
  const user = toWireUser(result.user, users);
  let tail = authenticateTails.get(session);
  if (tail?.token !== result.session_token || tail.jwt !== result.session_jwt || tail.user !== user || tail.verdict !== result.verdict) {
    const wire = { session_token: result.session_token, session_jwt: compactJwsJson(result.session_jwt), session, user };
    const text = serializeWithImmutableWires(result.verdict ? { ...wire, verdict: result.verdict } : wire);
    tail = { token: result.session_token, jwt: result.session_jwt, user, verdict: result.verdict, text: text.slice(1) };
    authenticateTails.set(session, tail);
  }
  return `{"request_id":${JSON.stringify(requestId)},"status_code":200,${tail.text}`;
}

/** The session part of every authenticate-style response (passwords, magic links, sessions). */
export function sessionResponse(grant: SessionGrant, sessions: SessionService, users: UserService) {
  return {
    user_id: grant.user.user_id,
    session_token: grant.session_token,
    session_jwt: grant.session_jwt,
    session: grant.session ? toWireSession(grant.session, grant.roles) : null,
    user: toWireUser(grant.user, users),
  };
}

/**
 * The session part of every B2B authenticate-style response (passwords, magic links, SSO, discovery,
 * exchange): the member session, or — the organization requiring more — no session and the
 * intermediate session with primary_required or mfa_required. A plain grant (sessions/authenticate) is a session.
 */
export function memberSessionResponse(grant: MemberSessionGrant | MemberSignIn, sessions: SessionService, members: MemberService) {
  const signIn = 'member_authenticated' in grant ? grant : null;
  return {
    member_id: grant.member.member_id,
    organization_id: grant.organization.organization_id,
    member: toWireMember(grant.member, grant.organization, members),
    organization: toWireOrganization(grant.organization),
    session_token: grant.session_token,
    session_jwt: grant.session_jwt,
    member_session: grant.member_session ? toWireMemberSession(grant.member_session, grant.roles, grant.organization) : null,
    intermediate_session_token: signIn?.intermediate?.token ?? '',
    member_authenticated: signIn?.member_authenticated ?? true,
    mfa_required: signIn?.mfa_required ?? null,
    primary_required: signIn?.primary_required ?? null,
  };
}

/** A sign-in that may stop short of a session (discovery, session exchange): with the intermediate session's expiry then, and Stytch's member_device. */
export function memberSignInResponse(result: MemberSignIn, sessions: SessionService, members: MemberService) {
  const response = { ...memberSessionResponse(result, sessions, members), member_device: null };
  return result.intermediate ? { ...response, intermediate_session_token_expires_at: formatTimestamp(result.intermediate.expiresAt) } : response;
}

/** Per session record: its wire form, while its roles and the second of its last access stay the same. */
const wireSessions = new WeakMap<SessionRecord, { second: number; wire: ReturnType<typeof buildWireSession> }>();

/**
 * A session with its roles, as the API shows it. The wire form is kept per record while its roles and
 * the second of its last access (the precision shown) stay the same; a record changes nothing else in
 * place (SessionStore.update makes a new one), so the kept form is immutable.
 */
export function toWireSession(record: SessionRecord, roles: readonly string[]) {
  const second = Math.floor(record.last_accessed_at.getTime() / 1000);
  const known = wireSessions.get(record);
  if (known && known.second === second && sameStrings(known.wire.roles, roles)) return known.wire;
  const wire = immutableWire(buildWireSession(record, [...roles]));
  wireSessions.set(record, { second, wire });
  return wire;
}

function buildWireSession(record: SessionRecord, roles: string[]) {
  return {
    session_id: record.session_id,
    user_id: record.user_id,
    started_at: formatTimestamp(record.started_at),
    last_accessed_at: formatTimestamp(record.last_accessed_at),
    expires_at: formatTimestamp(record.expires_at),
    attributes: record.attributes,
    authentication_factors: record.authentication_factors,
    custom_claims: record.custom_claims,
    roles,
  };
}

function sameStrings(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((value, index) => value === b[index]);
}

/**
 * A member session as the API shows it (MemberSession). `attributes` (the IP address and User-Agent
 * of a session started through the browser API, empty otherwise) is a Gatehouse addition here: Stytch
 * shows them on consumer sessions only.
 */
export function toWireMemberSession(record: SessionRecord, roles: readonly string[], organization: OrganizationRecord) {
  return {
    member_session_id: record.session_id,
    member_id: record.member_id,
    organization_id: record.organization_id,
    organization_slug: organization.organization_slug,
    started_at: formatTimestamp(record.started_at),
    last_accessed_at: formatTimestamp(record.last_accessed_at),
    expires_at: formatTimestamp(record.expires_at),
    authentication_factors: record.authentication_factors,
    custom_claims: record.custom_claims,
    roles,
    attributes: record.attributes,
  };
}
