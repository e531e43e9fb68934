// What the server logs, and how: JSON lines (pino's format, for log collectors) or, on a terminal,
// one readable line per entry. Nothing a caller sent reaches the log — no bodies, no query strings,
// no SQL or its parameters (PGlite's errors carry both, a PostgreSQL error's detail quotes the
// values): an error is logged as its type, code, names of the table/column/constraint involved, its
// message with every quoted value blanked, and its stack frames.
import type { FastifyRequest } from 'fastify';

export type LogFormat = 'json' | 'pretty';

export interface LogStream {
  write(line: string): unknown;
}

/** Fastify's `logger` option: the level and destination given, with the serializers above. */
export function loggerOptions(options: { level?: string; stream?: LogStream }, format: LogFormat): object {
  const stream = options.stream ?? (format === 'pretty' ? prettyLines(process.stdout) : undefined);
  return {
    level: 'info',
    ...options,
    ...(stream ? { stream } : {}),
    serializers: {
      req: (request: FastifyRequest) => ({ method: request.method, url: request.url.split('?')[0], host: request.host, remoteAddress: request.ip }),
      err: describeError,
    },
  };
}

const QUOTED = /"[^"]*"|'[^']*'|`[^`]*`|\([^()]*\)=\([^()]*\)/g;
const EMAIL = /[^\s@"'()<>,;]+@[^\s@"'()<>,;]+/g;

/** The message without the values it quotes (or any email address), at most 300 characters. */
export function redactMessage(message: string): string {
  return message.replace(QUOTED, '[redacted]').replace(EMAIL, '[redacted]').slice(0, 300);
}

/** An error (and its causes) as the log may keep it: see the header of this file. */
export function describeError(error: unknown, depth = 0): Record<string, unknown> {
  if (typeof error !== 'object' || error === null) return { type: typeof error };
  const e = error as Partial<Error> & Record<string, unknown>;
  const described: Record<string, unknown> = { type: e.name ?? e.constructor?.name ?? 'Object' };
  if (typeof e.code === 'string' && e.code.length <= 40) described.code = e.code;
  if (typeof e.errorType === 'string') described.error_type = e.errorType;
  for (const key of ['table', 'column', 'constraint', 'routine']) if (typeof e[key] === 'string') described[key] = e[key];
  if (typeof e.message === 'string') described.message = redactMessage(e.message);
  // Frames only: the stack's first line repeats the message unredacted.
  const frames = typeof e.stack === 'string' ? e.stack.split('\n').filter((line) => /^\s+at /.test(line)).slice(0, 12).map((line) => line.trim()) : [];
  if (frames.length > 0) described.stack = frames;
  if (e.cause !== undefined && depth < 3) described.cause = describeError(e.cause, depth + 1);
  return described;
}

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const COLOURS: Record<number, string> = { 10: '90', 20: '90', 30: '32', 40: '33', 50: '31', 60: '35' };

/** A stream that writes each pino JSON line to `out` as `time LEVEL message key=value …`. */
export function prettyLines(out: { write(text: string): unknown }): LogStream {
  return {
    write(line: string) {
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return out.write(line);
      }
      const { level, time, msg, pid: _pid, hostname: _hostname, ...fields } = entry;
      const label = LEVELS[level as number] ?? String(level);
      const stamp = new Date(typeof time === 'number' ? time : Date.now()).toISOString().slice(11, 23);
      const rest = Object.entries(fields).map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
      return out.write(`${stamp} \x1b[${COLOURS[level as number] ?? '0'}m${label.padEnd(5)}\x1b[0m ${msg ?? ''}${rest.length ? ` ${rest.join(' ')}` : ''}\n`);
    },
  };
}
