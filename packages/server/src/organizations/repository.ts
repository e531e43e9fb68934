// Writes to organizations and their email-domain role rules that the RBAC policy writer makes inside
// its own transaction (it holds the policy head, then the organization rows, when it prunes custom
// roles or cascades a removed role): the SQL stays here, with the tables' owner, in the caller's `tx`.
import type { Role } from '@gatehouse/policy';
import type { SqlExecutor } from '../store/database.ts';

export async function setCustomRoles(tx: SqlExecutor, organizationId: string, roles: Role[], at: Date): Promise<void> {
  await tx.query('UPDATE organizations SET custom_roles = $2, updated_at = $3 WHERE organization_id = $1', [organizationId, JSON.stringify(roles), at]);
}

/** A policy role the project removed (with cascade) leaves every organization's email-domain rules. */
export async function removeEmailRoleRules(tx: SqlExecutor, projectId: string, roleIds: string[]): Promise<void> {
  await tx.query('DELETE FROM organization_email_role_rules WHERE project_id = $1 AND role_id = ANY($2)', [projectId, roleIds]);
}

/**
 * The organization's default SSO connection as Stytch keeps it: the first connection created becomes
 * the default when none is set (`claim`), and deleting the default clears it (`release`). Returns
 * whether the organization changed.
 */
export async function claimSsoDefaultConnection(tx: SqlExecutor, organizationId: string, connectionId: string, at: Date): Promise<boolean> {
  const { rowCount } = await tx.query(
    `UPDATE organizations SET settings = jsonb_set(settings, '{sso_default_connection_id}', to_jsonb($2::text)), updated_at = $3
      WHERE organization_id = $1 AND settings->>'sso_default_connection_id' IS NULL`,
    [organizationId, connectionId, at],
  );
  return rowCount > 0;
}

export async function releaseSsoDefaultConnection(tx: SqlExecutor, organizationId: string, connectionId: string, at: Date): Promise<boolean> {
  const { rowCount } = await tx.query(
    `UPDATE organizations SET settings = jsonb_set(settings, '{sso_default_connection_id}', 'null'::jsonb), updated_at = $3
      WHERE organization_id = $1 AND settings->>'sso_default_connection_id' = $2`,
    [organizationId, connectionId, at],
  );
  return rowCount > 0;
}
