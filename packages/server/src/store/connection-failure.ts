// What counts as "the database is unreachable" (rather than "the statement failed"): such a failure
// is answered 503 server_unavailable (src/http/errors.ts), lets a read be retried on a fresh
// connection (database.ts) and says nothing about the data.

/** SQLSTATEs of a lost or refused connection: class 08, the server shutting down, starting up or full. */
const CONNECTION_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300']);
/** Socket errors of an unreachable or vanished server. */
const SOCKET_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
/** node-postgres and pg-pool raise these without a code. */
const DRIVER_MESSAGES = [
  'Connection terminated',
  'Client has encountered a connection error and is not queryable',
  'Client was closed and is not queryable',
  'timeout exceeded when trying to connect',
  'timeout expired',
];

export function isConnectionFailure(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, message, errors } = error as { code?: unknown; message?: unknown; errors?: unknown };
  if (typeof code === 'string' && (code.startsWith('08') || CONNECTION_SQLSTATES.has(code) || SOCKET_ERRNOS.has(code))) return true;
  if (typeof message === 'string' && code === undefined && DRIVER_MESSAGES.some((text) => message.startsWith(text))) return true;
  // A host name with several addresses fails with one error per address.
  return Array.isArray(errors) && errors.length > 0 && errors.every(isConnectionFailure);
}

/**
 * Whether running `sql` twice is as good as once: a plain read. Decides whether a statement whose
 * connection died may be retried — a write might have committed before the answer was lost.
 */
export function isReadOnlyStatement(sql: string): boolean {
  return /^\s*(SELECT|WITH|VALUES|SHOW)\b/i.test(sql) && !/\b(INSERT|UPDATE|DELETE|MERGE|pg_notify|nextval|setval|pg_advisory_\w*|FOR\s+(NO\s+KEY\s+)?UPDATE|FOR\s+(KEY\s+)?SHARE)\b/i.test(sql);
}
