// SSO discovery by email (the browser SDK's sso.discoverConnections): the active connections of the
// organizations the address belongs to; when it belongs to none with one, the active connections
// the address could join through just in time — organizations that allow its email domain and whose
// SSO JIT rules admit the connection. No session is needed, as with Stytch: the route is rate
// limited per IP and per address, and answers only what a sign-in attempt would show anyway.
import { emailDomain, isCommonEmailDomain, type OrganizationRecord, type OrganizationService } from '../organizations/service.ts';
import { normalizeEmail } from '../shared/fields.ts';
import type { SqlExecutor } from '../store/database.ts';
import { jitAllowed } from './flows.ts';

export interface DiscoveredConnection {
  connection_id: string;
  display_name: string;
  identity_provider: string;
}

export async function discoverConnections(deps: { db: SqlExecutor; organizations: OrganizationService }, projectId: string, emailAddress: string): Promise<DiscoveredConnection[]> {
  const email = normalizeEmail(emailAddress).toLowerCase();
  const active = (organization: OrganizationRecord, admits: (connectionId: string) => boolean = () => true) =>
    organization.sso_connections
      .filter((connection) => connection.status === 'active' && admits(connection.connection_id))
      .map(({ connection_id, display_name, identity_provider }) => ({ connection_id, display_name, identity_provider }));

  const { rows: memberships } = await deps.db.query<{ organization_id: string }>(
    `SELECT DISTINCT organization_id FROM members WHERE project_id = $1 AND email_normalized = $2 AND status <> 'deleted' ORDER BY organization_id`,
    [projectId, email],
  );
  const ofMember = (await deps.organizations.requireOrganizations(projectId, memberships.map((row) => row.organization_id))).flatMap((organization) => active(organization));
  if (ofMember.length > 0) return ofMember;

  const domain = emailDomain(email);
  if (isCommonEmailDomain(domain)) return [];
  const { rows: joinable } = await deps.db.query<{ organization_id: string }>(
    'SELECT organization_id FROM organizations WHERE project_id = $1 AND $2 = ANY(email_allowed_domains) ORDER BY created_at, organization_id',
    [projectId, domain],
  );
  return (await deps.organizations.requireOrganizations(projectId, joinable.map((row) => row.organization_id)))
    .flatMap((organization) => active(organization, (connectionId) => jitAllowed(organization, connectionId, email, true)));
}
