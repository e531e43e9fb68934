// Whether this process can serve (GET /readyz): the database answers, every migration this build
// ships is applied, and the change feed is listening — without it, a change made by another
// process would not reach this one's caches.
import { isConnectionFailure } from './connection-failure.ts';
import type { ChangeFeed } from './change-feed.ts';
import type { Database } from './database.ts';
import { listMigrations } from './migrate.ts';

export interface Readiness {
  ready: boolean;
  database: 'reachable' | 'unreachable' | 'error';
  migrations: 'current' | 'pending' | 'unknown';
  change_feed: 'listening' | 'reconnecting';
}

export function readinessCheck(db: Database, feed: ChangeFeed): () => Promise<Readiness> {
  const shipped = listMigrations().map((migration) => migration.id);
  return async () => {
    let database: Readiness['database'] = 'reachable';
    let migrations: Readiness['migrations'] = 'unknown';
    try {
      const { rows } = await db.query<{ id: string }>('SELECT id FROM schema_migrations');
      const applied = new Set(rows.map((row) => row.id));
      migrations = shipped.every((id) => applied.has(id)) ? 'current' : 'pending';
    } catch (error) {
      database = isConnectionFailure(error) ? 'unreachable' : 'error';
    }
    const changeFeed = feed.listening ? 'listening' : 'reconnecting';
    return { ready: database === 'reachable' && migrations === 'current' && changeFeed === 'listening', database, migrations, change_feed: changeFeed };
  };
}
