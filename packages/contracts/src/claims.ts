// The claims of a session JWT that Stytch defines (the server mints them; the SDKs read them).

/** The session: session_id, started_at, authentication_factors, roles, …. */
export const SESSION_CLAIM = 'https://stytch.com/session';
/** B2B: the organization the member session belongs to (organization_id, slug). */
export const ORGANIZATION_CLAIM = 'https://stytch.com/organization';
/** Every claim under this prefix is Stytch's: custom claims may not use it. */
export const STYTCH_CLAIM_PREFIX = 'https://stytch.com/';
