// The page: reads where Gatehouse is from the backend, makes the browser client, renders the app.
import { createGatehouseClient } from '@gatehouse/js';
import { GatehouseProvider } from '@gatehouse/react';
import { createRoot } from 'react-dom/client';
import { App } from './App.tsx';

const config = (await (await fetch('/api/config')).json()) as { gatehouseUrl: string; publicToken: string };
// Poll every second so a role or policy change shows without a reload (and on window focus).
const client = createGatehouseClient({ publicToken: config.publicToken, baseUrl: config.gatehouseUrl, pollIntervalMs: 1000 });

createRoot(document.getElementById('root')!).render(
  <GatehouseProvider client={client}>
    <App />
  </GatehouseProvider>,
);
