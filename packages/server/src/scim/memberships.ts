// Who is in which SCIM group, changed in the caller's transaction: each member whose groups change
// gets a `member.scim_groups.updated` audit entry (what access-at replays) and a change event (the
// session and member caches drop it, so a role from a group shows at the member's next check, not
// only at its next sign-in).
import { systemActor, type AuditLog } from '../audit/log.ts';
import type { Actor } from '../projects/service.ts';
import type { Emit } from '../store/change-feed.ts';
import type { SqlExecutor } from '../store/database.ts';
import type { ScimConnectionRecord } from './connections.ts';

/** Who the audit log says made a change the IdP sent through the connection. */
export function scimActor(connection: Pick<ScimConnectionRecord, 'connection_id'>): Actor {
  return systemActor(`scim.${connection.connection_id}`);
}

async function groupsOf(tx: SqlExecutor, connectionId: string, memberIds: readonly string[]): Promise<Map<string, string[]>> {
  const { rows } = await tx.query<{ member_id: string; group_id: string }>(
    'SELECT member_id, group_id FROM scim_group_members WHERE connection_id = $1 AND member_id = ANY($2) ORDER BY group_id', [connectionId, memberIds]);
  const groups = new Map<string, string[]>(memberIds.map((id) => [id, []]));
  for (const row of rows) groups.get(row.member_id)!.push(row.group_id);
  return groups;
}

/**
 * Runs `write` (which changes scim_group_members of `memberIds` at the connection) and records, for
 * each member whose groups it changed, the groups before and after.
 */
export async function changeMemberships(
  tx: SqlExecutor, audit: AuditLog, emit: Emit, connection: ScimConnectionRecord, memberIds: readonly string[], write: () => Promise<void>,
): Promise<void> {
  const ids = [...new Set(memberIds)];
  if (ids.length === 0) return write();
  const before = await groupsOf(tx, connection.connection_id, ids);
  await write();
  const after = await groupsOf(tx, connection.connection_id, ids);
  for (const id of ids) {
    const was = before.get(id)!;
    const is = after.get(id)!;
    if (was.join('\n') === is.join('\n')) continue;
    await audit.record(tx, {
      project_id: connection.project_id, actor: scimActor(connection), action: 'member.scim_groups.updated', target_type: 'member', target_id: id,
      organization_id: connection.organization_id,
      before: { connection_id: connection.connection_id, groups: was }, after: { connection_id: connection.connection_id, groups: is },
    });
    emit({ type: 'member', project_id: connection.project_id, organization_id: connection.organization_id, member_id: id });
  }
}

/** Adds members to a group (members of the connection only; others are ignored by the caller's check). */
export async function addToGroup(tx: SqlExecutor, connection: ScimConnectionRecord, groupId: string, memberIds: readonly string[]): Promise<void> {
  if (memberIds.length === 0) return;
  await tx.query(
    `INSERT INTO scim_group_members (group_id, member_id, connection_id, organization_id, project_id)
     SELECT $1, member_id, $3, $4, $5 FROM unnest($2::text[]) AS member_id ON CONFLICT DO NOTHING`,
    [groupId, memberIds, connection.connection_id, connection.organization_id, connection.project_id]);
}

export async function removeFromGroup(tx: SqlExecutor, groupId: string, memberIds: readonly string[] | 'all'): Promise<void> {
  if (memberIds === 'all') await tx.query('DELETE FROM scim_group_members WHERE group_id = $1', [groupId]);
  else if (memberIds.length > 0) await tx.query('DELETE FROM scim_group_members WHERE group_id = $1 AND member_id = ANY($2)', [groupId, memberIds]);
}

/** Takes the member out of every group of the connection (its SCIM user is deleted). */
export async function removeFromAllGroups(tx: SqlExecutor, connectionId: string, memberId: string): Promise<void> {
  await tx.query('DELETE FROM scim_group_members WHERE connection_id = $1 AND member_id = $2', [connectionId, memberId]);
}
