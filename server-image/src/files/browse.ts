// Directory browsing for workspace pickers (OpenHands GET /api/file/home and /api/file/search_subdirs):
// immediate subdirectories only, symlinks and files skipped, hidden names skipped unless asked for,
// sorted case-insensitively; search_subdirs pages with an inclusive cursor, the lower-cased name.
import { readdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface FileBrowserEntry { label: string; path: string }
export interface SubdirectoryEntry { name: string; path: string }

async function subdirectories(dir: string, includeHidden: boolean): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries
    .filter((e) => e.isDirectory() && (includeHidden || !e.name.startsWith('.')))
    .map((e) => e.name)
    .sort((a, b) => {
      const [x, y] = [a.toLowerCase(), b.toLowerCase()];
      return x < y ? -1 : x > y ? 1 : 0;
    });
}

/** The server user's home, its top-level directories (at most 50) and the filesystem roots. */
export async function home(includeHidden: boolean): Promise<{ home: string; favorites: FileBrowserEntry[]; locations: FileBrowserEntry[] }> {
  const dir = homedir();
  let names: string[] = [];
  try {
    names = await subdirectories(dir, includeHidden);
  } catch {
    names = [];
  }
  return {
    home: dir,
    favorites: names.slice(0, 50).map((name) => ({ label: name, path: join(dir, name) })),
    locations: [{ label: '/', path: '/' }],
  };
}

/** One page of `dir`'s subdirectories (the caller checked `dir` is an existing directory). */
export async function searchSubdirs(dir: string, opts: { pageId?: string; limit: number; includeHidden: boolean }): Promise<{ items: SubdirectoryEntry[]; next_page_id: string | null }> {
  const names = await subdirectories(dir, opts.includeHidden);
  let start = 0;
  if (opts.pageId) {
    const at = names.findIndex((n) => n.toLowerCase() === opts.pageId);
    if (at >= 0) start = at;
  }
  const page = names.slice(start, start + opts.limit);
  const next = start + opts.limit < names.length ? (names[start + opts.limit] as string).toLowerCase() : null;
  return { items: page.map((name) => ({ name, path: join(dir, name) })), next_page_id: next };
}
