import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { LocalFiles } from './workspace.js';

/** Local paths through node:fs, relative ones from the process's current directory. */
export const nodeFiles: LocalFiles = {
  readFile: async (path) => new Uint8Array(await readFile(resolve(path))),
  writeFile: async (path, bytes) => {
    await mkdir(dirname(resolve(path)), { recursive: true });
    await writeFile(resolve(path), bytes);
  },
};
