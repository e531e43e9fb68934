// What a caller presents about a session: the fields a sign-in may set (checked before anything is
// written), and the credential — a session token or JWT — that names the session.
import type { SessionAttributes } from './attributes.ts';
import { checkClaimKeys, MAX_CLAIMS_BYTES } from '../claims/template.ts';
import type { Clock } from '../shared/clock.ts';
import { GatehouseError } from '../shared/errors.ts';
import type { Metadata } from '../shared/metadata.ts';
import type { SessionJwts } from './jwt.ts';
import { hashToken, requireLive, type AuthenticationFactor, type CachedSession, type SessionKind, type SessionStore } from './store.ts';

export const SESSION_DURATION_MINUTES = { min: 5, max: 527_040 } as const;

export interface SessionInput {
  session_token?: string;
  session_jwt?: string;
  session_duration_minutes?: number;
  session_custom_claims?: Metadata;
  /** Where a new session is started from: the browser API's caller (sessions/attributes.ts); none from a backend. */
  callerAttributes?: SessionAttributes;
}

export type SessionCredential = Pick<SessionInput, 'session_token' | 'session_jwt'>;

function checkDuration(minutes: number | undefined): void {
  if (minutes === undefined) return;
  if (!Number.isInteger(minutes) || minutes < SESSION_DURATION_MINUTES.min || minutes > SESSION_DURATION_MINUTES.max) {
    throw new GatehouseError('invalid_session_duration_minutes');
  }
}

function checkCustomClaims(claims: Metadata | undefined): void {
  if (claims === undefined) return;
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) {
    throw new GatehouseError('invalid_session_custom_claims');
  }
  checkClaimKeys(claims);
  if (Buffer.byteLength(JSON.stringify(claims)) > MAX_CLAIMS_BYTES) throw new GatehouseError('custom_claims_too_large');
}

/** The session fields of a sign-in, checked as a grant checks them (so a flow can check them before it writes). */
export function checkSessionInput(input: Pick<SessionInput, 'session_duration_minutes' | 'session_custom_claims'>): void {
  checkDuration(input.session_duration_minutes);
  checkCustomClaims(input.session_custom_claims);
}

/** Whether the input changes the session (so it must be written now, not only noted as an access). */
export function changesSession(input: SessionInput): boolean {
  return input.session_duration_minutes !== undefined || input.session_custom_claims !== undefined;
}

export function addMinutes(date: Date, minutes: number): Date {
  return new Date(date.getTime() + minutes * 60_000);
}

/** A factor of the same type and method replaces the older one; others are kept. */
export function mergeFactor(factors: AuthenticationFactor[], factor: AuthenticationFactor): AuthenticationFactor[] {
  const kept = factors.filter((f) => !(f.type === factor.type && f.delivery_method === factor.delivery_method));
  return [...kept, factor];
}

/** What user and member sessions share: the table with its cache, the JWTs, the clock. */
export interface SessionParts {
  store: SessionStore;
  jwts: SessionJwts;
  clock: Clock;
}

/**
 * The session a token or JWT names (null: none), synchronously when it is in memory — for a JWT,
 * when this exact JWT was verified before with a key still ours — or else a promise of it; with
 * `inMemoryOnly`, undefined instead of the promise. Wrong arguments throw the error Stytch gives.
 */
export function sessionOf(
  { store, jwts }: SessionParts,
  projectId: string,
  credential: SessionCredential,
  inMemoryOnly: boolean,
): CachedSession | null | Promise<CachedSession | null> | undefined {
  const token = credential.session_token;
  const jwt = credential.session_jwt;
  if (token !== undefined) {
    if (jwt !== undefined) throw new GatehouseError('too_many_session_arguments');
    const tokenHash = hashToken(token);
    return inMemoryOnly ? store.cachedByToken(tokenHash) : store.byToken(tokenHash);
  }
  if (jwt === undefined) throw new GatehouseError('no_session_arguments');
  const digest = hashToken(jwt);
  const sessionId = jwts.verifiedSessionId(projectId, digest);
  if (inMemoryOnly) return sessionId === undefined ? undefined : store.cachedById(sessionId);
  if (sessionId !== undefined) return store.byId(sessionId);
  return jwts.verify(projectId, jwt, digest).then((verifiedId) => store.byId(verifiedId));
}

/** The live session of this project and kind a token or JWT names, or the error Stytch gives. */
export async function requireSession(parts: SessionParts, projectId: string, credential: SessionCredential, kind: SessionKind): Promise<CachedSession> {
  const found = await sessionOf(parts, projectId, credential, false);
  return requireLive(found ?? null, projectId, kind, parts.clock.now());
}
