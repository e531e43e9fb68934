// @gatehouse/js: the headless browser SDK (sessions, sign-in, client-side permission checks).
export { GatehouseClient, createGatehouseClient, type GatehouseClientOptions, type ConsumerPasswordInput, type B2BPasswordInput, type AuthenticateResponse, type TenancyOptions } from './client.ts';
export { GatehouseError, GatehouseUnreachableError, isGatehouseError, UNRECOVERABLE_ERROR_TYPES } from './errors.ts';
export { parseCookies, jwtExpiry, MemoryCookieJar, type KeyValueStorage, type CookieJar, type CookieOptions, type SessionTokens } from './persistence.ts';
export type * from './types.ts';
