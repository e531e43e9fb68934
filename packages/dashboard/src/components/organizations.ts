// The list of organizations the member pages pick from. The Organization object's wire shape is the
// backend SDK's (types only: nothing of @gatehouse/node reaches the browser bundle).
import type { Organization } from '@gatehouse/node';
import { api } from '../api.ts';
import type { SearchPage } from './search.tsx';
import { useAsync } from './ui.tsx';

export type { Organization };

/** At most this many organizations are offered as choices; more are found by searching their name. */
export const ORGANIZATION_CHOICES = 1000;

/** Every organization of the project (up to ORGANIZATION_CHOICES), oldest first. */
export function useOrganizationChoices() {
  return useAsync(
    () => api.post<SearchPage & { organizations: Organization[] }>('/v1/b2b/organizations/search', { limit: ORGANIZATION_CHOICES }),
    [],
  );
}
