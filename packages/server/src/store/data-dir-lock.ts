// One process at a time on an embedded database folder. PGlite is a single-user PostgreSQL: two
// processes on one folder crash (a wasm `RuntimeError: Aborted()`) or, worse, run side by side and
// corrupt it. The lock is a file beside the folder (`pglite.lock` next to `pglite/`) created with
// O_EXCL and holding the owner's pid; a lock whose process is gone (killed, crashed) is stale and
// taken over. It is released when the database closes and, at the latest, when the process exits.
import { closeSync, openSync, readFileSync, rmSync, unlinkSync, writeSync } from 'node:fs';

export class DataFolderInUseError extends Error {
  constructor(
    readonly folder: string,
    readonly pid: number,
    command: string,
  ) {
    super(`${folder} is in use by process ${pid}${command ? ` (${command})` : ''}: stop it first, or use another GATEHOUSE_DATA_DIR`);
    this.name = 'DataFolderInUseError';
  }
}

export interface DataFolderLock {
  readonly file: string;
  release(): void;
}

/** Whether a process with this pid runs (EPERM: it runs, as another user). */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readOwner(file: string): { pid: number; command: string } | null {
  try {
    const owner = JSON.parse(readFileSync(file, 'utf8')) as { pid?: unknown; command?: unknown };
    return typeof owner.pid === 'number' ? { pid: owner.pid, command: typeof owner.command === 'string' ? owner.command : '' } : null;
  } catch {
    return null;
  }
}

/** What the lock file says of its owner: `gatehouse serve`, `gatehouse migrate`, or the script's name. */
function describeThisProcess(): string {
  const args = process.argv.slice(1).map((arg) => arg.split('/').pop()!);
  return args[0]?.startsWith('gatehouse') ? ['gatehouse', ...args.slice(1, 3)].join(' ') : (args[0] ?? 'node');
}

/** Throws DataFolderInUseError when a running process holds `folder`'s lock (before a command says anything else). */
export function assertDataFolderFree(folder: string): void {
  const owner = readOwner(`${folder}.lock`);
  if (owner && isRunning(owner.pid)) throw new DataFolderInUseError(folder, owner.pid, owner.command);
}

/**
 * Takes the lock of `folder` for this process, or throws DataFolderInUseError naming the process that
 * has it. A lock file whose pid no longer runs (or that cannot be read, the owner having died while
 * writing it) is removed and the lock taken.
 */
export function lockDataFolder(folder: string): DataFolderLock {
  const file = `${folder}.lock`;
  for (let attempt = 0; ; attempt++) {
    let fd: number;
    try {
      fd = openSync(file, 'wx', 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 3) throw error;
      // This process's own counts too: a second database on one folder in one process is as bad.
      assertDataFolderFree(folder);
      // Stale: its process is gone. Take it over.
      rmSync(file, { force: true });
      continue;
    }
    try {
      writeSync(fd, `${JSON.stringify({ pid: process.pid, command: describeThisProcess(), since: new Date().toISOString() })}\n`);
    } finally {
      closeSync(fd);
    }
    let held = true;
    const release = () => {
      if (!held) return;
      held = false;
      process.off('exit', release);
      // Only our own: never a lock another process took after a stale one of ours.
      if (readOwner(file)?.pid === process.pid) {
        try {
          unlinkSync(file);
        } catch {
          // Already gone.
        }
      }
    };
    process.on('exit', release);
    return { file, release };
  }
}
