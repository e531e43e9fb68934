// The data folder holds the embedded database (with every secret Gatehouse stores), the credentials
// file and the development encryption key: it is the owner's alone. Folders 0700, files 0600.
import { chmodSync, lstatSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Creates the folder (0700) if missing and takes group and other permissions off it and everything
 * in it that this user owns. Returns the paths that were looser. Symbolic links are not followed.
 * PGlite writes its files with mode 0666 whatever the umask, so this runs after it has opened the
 * database and at stop as well; the folder's own 0700 is what keeps others out in between.
 */
export function makeDataDirPrivate(dir: string): string[] {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const loosened: string[] = [];
  const uid = process.getuid?.();
  const visit = (path: string) => {
    const stat = lstatSync(path);
    if (stat.isSymbolicLink()) return;
    if ((stat.mode & 0o077) !== 0 && (uid === undefined || stat.uid === uid)) {
      chmodSync(path, stat.mode & 0o700);
      loosened.push(path);
    }
    if (stat.isDirectory()) for (const name of readdirSync(path)) visit(join(path, name));
  };
  visit(dir);
  return loosened;
}
