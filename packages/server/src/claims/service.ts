// The project's custom claim template (Stytch's session template): stored one per project, every
// project's kept compiled in memory — loaded at start, kept current by the change feed — so that
// minting a session JWT reads it without waiting.
import type { Actor } from '../projects/service.ts';
import type { AuditLog } from '../audit/log.ts';
import type { Clock } from '../shared/clock.ts';
import type { ChangeFeed } from '../store/change-feed.ts';
import type { SqlExecutor } from '../store/database.ts';
import { GatehouseError } from '../shared/errors.ts';
import { compileTemplate, type CompiledTemplate } from './template.ts';

export interface ClaimTemplateRecord {
  template_content: string;
  updated_at: Date;
}

export class ClaimTemplates {
  readonly #db: SqlExecutor;
  readonly #feed: ChangeFeed;
  readonly #clock: Clock;
  readonly #audit: AuditLog;
  /** project_id → its compiled template (no entry: none). */
  #templates = new Map<string, CompiledTemplate>();

  constructor(deps: { db: SqlExecutor; feed: ChangeFeed; clock: Clock; audit: AuditLog }) {
    this.#db = deps.db;
    this.#feed = deps.feed;
    this.#clock = deps.clock;
    this.#audit = deps.audit;
    this.#feed.on(
      (event) => {
        if (event.type === 'claims_template') void this.#reload(event.project_id).catch(() => {});
      },
      () => void this.start().catch(() => {}),
    );
  }

  /** Loads every project's template. */
  async start(): Promise<void> {
    const { rows } = await this.#db.query<{ project_id: string; template_content: string }>('SELECT project_id, template_content FROM custom_claim_templates');
    const templates = new Map<string, CompiledTemplate>();
    for (const row of rows) templates.set(row.project_id, compileTemplate(row.template_content));
    this.#templates = templates;
  }

  /** The project's compiled template, if it has one (synchronous: all are in memory). */
  of(projectId: string): CompiledTemplate | undefined {
    return this.#templates.get(projectId);
  }

  async get(projectId: string): Promise<ClaimTemplateRecord> {
    const { rows } = await this.#db.query<ClaimTemplateRecord>('SELECT template_content, updated_at FROM custom_claim_templates WHERE project_id = $1', [projectId]);
    if (!rows[0]) throw new GatehouseError('custom_claims_template_not_found');
    return rows[0];
  }

  async set(projectId: string, content: string, actor: Actor): Promise<ClaimTemplateRecord> {
    const compiled = compileTemplate(content);
    const now = this.#clock.now();
    await this.#feed.write(async (tx, emit) => {
      const { rows } = await tx.query<{ template_content: string }>('SELECT template_content FROM custom_claim_templates WHERE project_id = $1 FOR UPDATE', [projectId]);
      await tx.query(
        `INSERT INTO custom_claim_templates (project_id, template_content, updated_at) VALUES ($1, $2, $3)
         ON CONFLICT (project_id) DO UPDATE SET template_content = EXCLUDED.template_content, updated_at = EXCLUDED.updated_at`,
        [projectId, content, now],
      );
      await this.#audit.record(tx, {
        project_id: projectId, actor, action: 'claims_template.updated', target_type: 'claims_template', target_id: projectId,
        before: rows[0] ?? null, after: { template_content: content },
      });
      emit({ type: 'claims_template', project_id: projectId });
    });
    this.#templates.set(projectId, compiled);
    return { template_content: content, updated_at: now };
  }

  async delete(projectId: string, actor: Actor): Promise<void> {
    await this.#feed.write(async (tx, emit) => {
      const { rows } = await tx.query<{ template_content: string }>('DELETE FROM custom_claim_templates WHERE project_id = $1 RETURNING template_content', [projectId]);
      if (!rows[0]) throw new GatehouseError('custom_claims_template_not_found');
      await this.#audit.record(tx, {
        project_id: projectId, actor, action: 'claims_template.deleted', target_type: 'claims_template', target_id: projectId,
        before: rows[0], after: null,
      });
      emit({ type: 'claims_template', project_id: projectId });
    });
    this.#templates.delete(projectId);
  }

  async #reload(projectId: string): Promise<void> {
    const { rows } = await this.#db.query<{ template_content: string }>('SELECT template_content FROM custom_claim_templates WHERE project_id = $1', [projectId]);
    if (rows[0]) this.#templates.set(projectId, compileTemplate(rows[0].template_content));
    else this.#templates.delete(projectId);
  }
}
