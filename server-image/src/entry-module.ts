// Whether a module is the program node was started with (`node dist/main.js`, also behind a bin symlink, which
// node resolves): entry points run their main() only then, so tests can import them.
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export function isEntryModule(moduleUrl: string): boolean {
  try {
    return process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(moduleUrl);
  } catch {
    return false;
  }
}
