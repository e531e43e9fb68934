// @gatehouse/node: the backend SDK. Typed API client, local session JWT verification and
// authorization (from a policy cache kept current by the server's change stream), middleware.
export { GatehouseClient, type GatehouseClientOptions } from './client.ts';
export { GatehouseApiError, Transport, type ApiResponse, type GatehouseConfig, type RequestOptions } from './request.ts';
export {
  GatehouseClientError,
  KeySet,
  type AuthenticateJwtLocalParams,
  type AuthenticateJwtParams,
  type AuthenticateJwtResult,
  type AuthorizationCheck,
  type B2BAuthorizationCheck,
  type ClientErrorCode,
  type JwksOptions,
} from './sessions.ts';
export { hasRequiredScopes, type AuthenticateM2MOptions, type AuthenticateM2MResult } from './m2m.ts';
export { PolicyCache, type Freshness, type PolicyCacheOptions, type PolicyKind } from './policy-cache.ts';
export { expressGuard, fastifyGuard, guardResult, type ErrorEnvelope, type GuardOptions, type GuardResult } from './middleware.ts';
export type * from './types.ts';
