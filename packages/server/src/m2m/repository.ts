// The m2m_clients table: the one place that reads and writes it. Every function takes the executor
// to run on (the database, or a caller's transaction).
import type { SqlExecutor } from '../store/database.ts';
import type { Metadata } from '../shared/metadata.ts';

export interface M2MClientRecord {
  project_id: string;
  client_id: string;
  client_name: string;
  client_description: string;
  status: 'active' | 'inactive';
  scopes: string[];
  trusted_metadata: Metadata;
  secret_hash: Buffer;
  secret_last_four: string;
  next_secret_hash: Buffer | null;
  next_secret_last_four: string | null;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = `project_id, client_id, client_name, client_description, status, scopes, trusted_metadata, secret_hash, secret_last_four,
  next_secret_hash, next_secret_last_four, created_at, updated_at`;

/** Byte arrays come back from PGlite as Uint8Array and from pg as Buffer: both read as Buffer. */
function toRecord(row: M2MClientRecord): M2MClientRecord {
  return {
    ...row,
    secret_hash: Buffer.from(row.secret_hash),
    next_secret_hash: row.next_secret_hash === null ? null : Buffer.from(row.next_secret_hash),
  };
}

export async function findClient(db: SqlExecutor, projectId: string, clientId: string, options: { lock?: boolean } = {}): Promise<M2MClientRecord | undefined> {
  const { rows } = await db.query<M2MClientRecord>(
    `SELECT ${COLUMNS} FROM m2m_clients WHERE project_id = $1 AND client_id = $2${options.lock ? ' FOR UPDATE' : ''}`,
    [projectId, clientId],
  );
  return rows[0] && toRecord(rows[0]);
}

/** Inserts a client; false when the project already has one with this client_id. */
export async function insertClient(db: SqlExecutor, record: M2MClientRecord): Promise<boolean> {
  const { rows } = await db.query(
    `INSERT INTO m2m_clients (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
     ON CONFLICT (project_id, client_id) DO NOTHING RETURNING client_id`,
    [record.project_id, record.client_id, record.client_name, record.client_description, record.status, record.scopes,
      JSON.stringify(record.trusted_metadata), record.secret_hash, record.secret_last_four, record.next_secret_hash,
      record.next_secret_last_four, record.created_at, record.updated_at],
  );
  return rows.length === 1;
}

/** Writes every mutable field of `record` (found by project and client id). */
export async function saveClient(db: SqlExecutor, record: M2MClientRecord): Promise<void> {
  await db.query(
    `UPDATE m2m_clients SET client_name = $3, client_description = $4, status = $5, scopes = $6, trusted_metadata = $7,
       secret_hash = $8, secret_last_four = $9, next_secret_hash = $10, next_secret_last_four = $11, updated_at = $12
     WHERE project_id = $1 AND client_id = $2`,
    [record.project_id, record.client_id, record.client_name, record.client_description, record.status, record.scopes,
      JSON.stringify(record.trusted_metadata), record.secret_hash, record.secret_last_four, record.next_secret_hash,
      record.next_secret_last_four, record.updated_at],
  );
}

export async function deleteClient(db: SqlExecutor, projectId: string, clientId: string): Promise<void> {
  await db.query('DELETE FROM m2m_clients WHERE project_id = $1 AND client_id = $2', [projectId, clientId]);
}

/** A page of clients matching `where` (over alias c, params from $2; $1 is the project), in creation order. */
export async function searchClients(
  db: SqlExecutor,
  projectId: string,
  where: { sql: string; params: unknown[] },
  page: { limit: number; after: { created_at: string; id: string } | null },
): Promise<{ rows: M2MClientRecord[]; total: number }> {
  const base = [projectId, ...where.params];
  const condition = `c.project_id = $1 AND (${where.sql})`;
  const paged = page.after ? `${condition} AND (c.created_at, c.client_id) > ($${base.length + 1}::timestamptz, $${base.length + 2})` : condition;
  const [found, counted] = await Promise.all([
    db.query<M2MClientRecord>(`SELECT ${COLUMNS} FROM m2m_clients c WHERE ${paged} ORDER BY c.created_at, c.client_id LIMIT ${page.limit + 1}`,
      page.after ? [...base, page.after.created_at, page.after.id] : base),
    db.query<{ total: number }>(`SELECT count(*)::int AS total FROM m2m_clients c WHERE ${condition}`, base),
  ]);
  return { rows: found.rows.map(toRecord), total: counted.rows[0]?.total ?? 0 };
}
