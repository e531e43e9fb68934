// Cross-process cache invalidation. A write announces what it changed with NOTIFY inside its
// transaction (delivered to every server process on commit, PostgreSQL's guarantee) and to this
// process right after commit, so a process always reads its own writes.
import type { PolicyKind } from '@gatehouse/policy';
import type { Database, SqlExecutor, Subscription } from './database.ts';

export const CHANGE_CHANNEL = 'gatehouse_changes';

export type ChangeEvent =
  | { type: 'policy'; project_id: string; kind: PolicyKind; version: number }
  | { type: 'secrets'; project_id: string }
  | { type: 'project'; project_id: string }
  | { type: 'user'; project_id: string; user_id: string }
  | { type: 'organization'; project_id: string; organization_id: string }
  | { type: 'member'; project_id: string; organization_id: string; member_id: string }
  | { type: 'session'; project_id: string; session_id: string; revoked?: true }
  | { type: 'claims_template'; project_id: string }
  | { type: 'signing_keys'; project_id: string };

export type Emit = (event: ChangeEvent) => void;

/**
 * Every cache of database state subscribes here with `on(handler, onGap)`. A gap means "everything
 * may have changed": the listening connection dropped, so notifications from other processes were
 * lost. Each subscriber then drops all it holds; the gap is reported once when the connection drops
 * and again once it listens anew.
 */
export class ChangeFeed {
  readonly #db: Database;
  readonly #handlers = new Set<(event: ChangeEvent) => void>();
  readonly #gapHandlers = new Set<() => void>();
  #subscription: Subscription | undefined;

  constructor(db: Database) {
    this.#db = db;
  }

  async start(): Promise<void> {
    this.#subscription = await this.#db.listen(
      CHANGE_CHANNEL,
      (payload) => {
        let event: ChangeEvent;
        try {
          event = JSON.parse(payload) as ChangeEvent;
        } catch {
          return;
        }
        this.#dispatch(event);
      },
      () => this.#gapHandlers.forEach((onGap) => onGap()),
    );
  }

  async stop(): Promise<void> {
    await this.#subscription?.close();
  }

  /** Whether changes from other processes arrive now (false between a drop and the next LISTEN). */
  get listening(): boolean {
    return this.#subscription?.listening ?? false;
  }

  /** `handler` sees every change, from this process and from others; `onGap` must forget everything `handler` keeps current. */
  on(handler: (event: ChangeEvent) => void, onGap: () => void): void {
    this.#handlers.add(handler);
    this.#gapHandlers.add(onGap);
  }

  /** Tells every subscriber to drop all it holds, as after a gap (a test's cold start; an operator's reset). */
  forgetAll(): void {
    this.#gapHandlers.forEach((onGap) => onGap());
  }

  /** Runs `work` in a transaction; what it `emit`s is announced if and only if it commits. */
  async write<T>(work: (tx: SqlExecutor, emit: Emit) => Promise<T>): Promise<T> {
    const events: ChangeEvent[] = [];
    const result = await this.#db.transaction(async (tx) => {
      const value = await work(tx, (event) => events.push(event));
      for (const event of events) {
        await tx.query('SELECT pg_notify($1, $2)', [CHANGE_CHANNEL, JSON.stringify(event)]);
      }
      return value;
    });
    for (const event of events) this.#dispatch(event);
    return result;
  }

  #dispatch(event: ChangeEvent): void {
    for (const handler of this.#handlers) handler(event);
  }
}
