// The client every hook reads, given once by <GatehouseProvider>.
import { createContext, createElement, useContext, useEffect, type ReactNode } from 'react';
import type { GatehouseClient } from '@gatehouse/js';

const ClientContext = createContext<GatehouseClient | null>(null);

export interface GatehouseProviderProps {
  client: GatehouseClient;
  /** Follow the server while mounted (poll, window focus): `client.start()` / `client.stop()`. Default true. */
  follow?: boolean;
  children?: ReactNode;
}

/** Makes `client` available to the hooks below it, and keeps it following the server while mounted. */
export function GatehouseProvider({ client, follow = true, children }: GatehouseProviderProps) {
  useEffect(() => {
    if (!follow) return;
    void client.start();
    return () => client.stop();
  }, [client, follow]);
  return createElement(ClientContext.Provider, { value: client }, children);
}

/** The client of the nearest <GatehouseProvider>; throws outside one. */
export function useGatehouse(): GatehouseClient {
  const client = useContext(ClientContext);
  if (!client) throw new Error('useGatehouse: no <GatehouseProvider> above this component');
  return client;
}
