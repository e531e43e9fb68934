import type { DashboardSession } from '../api.ts';

/** What every page gets from the shell: the admin's session, the path's parameters and the query. */
export interface PageProps {
  session: DashboardSession;
  params: Record<string, string>;
  query: URLSearchParams;
}
