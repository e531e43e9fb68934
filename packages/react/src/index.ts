// @gatehouse/react: a provider and hooks over the headless browser client (@gatehouse/js).
export { GatehouseProvider, useGatehouse, type GatehouseProviderProps } from './context.ts';
export { useGatehouseState, useSession, useUser, useMember, useOrganization, usePermissions, useIsAuthorized, type AuthorizationState } from './hooks.ts';
