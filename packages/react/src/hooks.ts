// Hooks over the client's store (useSyncExternalStore): each re-renders only when its own answer
// changes — roles, policy, session — never on a poll that changed nothing.
import { useEffect, useState, useSyncExternalStore } from 'react';
import type { ClientState, Member, MemberSession, Organization, PermissionMap, Session, User } from '@gatehouse/js';
import { useGatehouse } from './context.ts';

/** The client's whole state snapshot. */
export function useGatehouseState(): ClientState {
  const client = useGatehouse();
  return useSyncExternalStore(client.subscribe, client.getState, client.getState);
}

function useSelected<T>(select: (state: ClientState) => T): T {
  const client = useGatehouse();
  const read = () => select(client.getState());
  return useSyncExternalStore(client.subscribe, read, read);
}

/** The session (consumer session or B2B member session), or null when signed out. */
export function useSession(): Session | MemberSession | null {
  return useSelected((state) => state.session);
}

/** The signed-in user (consumer), or null. */
export function useUser(): User | null {
  return useSelected((state) => state.user);
}

/** The signed-in member (B2B), or null. */
export function useMember(): Member | null {
  return useSelected((state) => state.member);
}

/** The signed-in member's organization (B2B), or null. */
export function useOrganization(): Organization | null {
  return useSelected((state) => state.organization);
}

/** `{resource_id: {action: allowed}}` for every action the policy declares; follows role and policy changes. */
export function usePermissions(): PermissionMap {
  const client = useGatehouse();
  return useSyncExternalStore(client.subscribe, client.rbac.allPermissionsSync, client.rbac.allPermissionsSync);
}

export interface AuthorizationState {
  /** False while there is neither a cached nor a fresh policy to answer from. */
  isInitialized: boolean;
  /** True while the answer comes from the cached policy and roles, before the server confirmed them. */
  fromCache: boolean;
  isAuthorized: boolean;
}

/**
 * Whether the signed-in user (member) may do `action` on `resourceId`: the cached answer at once
 * (`fromCache: true`), then the answer from a freshly read policy and session. Re-renders when the
 * roles or the policy change.
 */
export function useIsAuthorized(resourceId: string, action: string): AuthorizationState {
  const client = useGatehouse();
  const read = () => client.rbac.isAuthorizedSync(resourceId, action);
  const cached = useSyncExternalStore(client.subscribe, read, read);
  const roles = useSelected((state) => state.roles);
  const policy = useSelected((state) => state.policy);
  const [fresh, setFresh] = useState<{ roles: readonly string[]; policy: unknown; resourceId: string; action: string } | null>(null);

  useEffect(() => {
    let live = true;
    void client.rbac.isAuthorized(resourceId, action).then(() => {
      if (!live) return;
      // The fresh answer is the store's answer after the refresh; remember what it was fresh for.
      const state = client.getState();
      setFresh({ roles: state.roles, policy: state.policy, resourceId, action });
    });
    return () => {
      live = false;
    };
  }, [client, resourceId, action, roles, policy]);

  const isFresh = fresh !== null && fresh.roles === roles && fresh.policy === policy && fresh.resourceId === resourceId && fresh.action === action;
  return { isInitialized: policy !== null || isFresh, fromCache: !isFresh, isAuthorized: cached };
}
