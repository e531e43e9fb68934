// The B2B Organization object (the fields the dashboard reads) and the list the member pages pick from.
import type { Role } from '@gatehouse/policy';
import { api } from '../api.ts';
import type { SearchPage } from './search.tsx';
import { useAsync } from './ui.tsx';

export interface Organization {
  organization_id: string;
  organization_name: string;
  organization_slug: string;
  email_allowed_domains: string[];
  rbac_email_implicit_role_assignments: { domain: string; role_id: string }[];
  custom_roles: Role[];
  sso_active_connections: { connection_id: string; display_name: string; identity_provider: string }[];
  email_jit_provisioning: string;
  email_invites: string;
  sso_jit_provisioning: string;
  auth_methods: string;
  mfa_policy: string;
  created_at: string;
  updated_at: string;
}

/** At most this many organizations are offered as choices; more are found by searching their name. */
export const ORGANIZATION_CHOICES = 1000;

/** Every organization of the project (up to ORGANIZATION_CHOICES), oldest first. */
export function useOrganizationChoices() {
  return useAsync(
    () => api.post<SearchPage & { organizations: Organization[] }>('/v1/b2b/organizations/search', { limit: ORGANIZATION_CHOICES }),
    [],
  );
}
