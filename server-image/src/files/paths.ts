// The one place request paths become filesystem paths, for the file and git routes.
//
// Rules (OpenHands: paths are absolute; the container is the boundary): a missing or repeated `path`
// is a 422; a NUL byte or a relative path is a 400. With allowed roots configured (servers run outside
// a sandbox), the path's real location — symlinks resolved through its longest existing prefix — must
// lie inside one of the roots' real locations, else 403; `..` segments are resolved first, so they
// cannot climb out either. A checked path is a string used again later, so a directory swapped for a
// symlink in between would be followed: writers re-check what they actually created (`assertInside` on
// `locate` of the opened file).
import { readlink, realpath } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { z } from 'zod';
import { ForbiddenError, InvalidRequestError } from '../errors.js';
import { parseOrThrow } from '../validation.js';

/** The `path` query parameter of the file and git routes. */
export const PathQuerySchema = z.object({ path: z.string() });

export class PathPolicy {
  private realRoots: Promise<string[]> | undefined;

  /** `roots`: absolute directories; empty allows any path. */
  constructor(readonly roots: readonly string[]) {}

  private async allowedRoots(): Promise<string[]> {
    this.realRoots ??= Promise.all(this.roots.map((root) => realOrSelf(resolve(root))));
    return this.realRoots;
  }

  /**
   * Validates the query parameter `name` of `query` and returns the normalized absolute path (the real
   * path when roots are configured). Throws ValidationError, InvalidRequestError or ForbiddenError (422/400/403).
   */
  async fromQuery(query: unknown, name = 'path'): Promise<string> {
    const raw = parseOrThrow(z.object({ [name]: z.string() }), query, 'query')[name] as string;
    return this.check(raw);
  }

  /** Applies the rules to an already-extracted string. */
  async check(raw: string): Promise<string> {
    if (raw.includes('\0')) throw new InvalidRequestError('Path must not contain NUL bytes');
    if (!isAbsolute(raw)) throw new InvalidRequestError('Path must be absolute');
    const normalized = resolve(raw);
    if (this.roots.length === 0) return normalized;
    const real = await realPrefix(normalized);
    await this.assertInside(real);
    return real;
  }

  /** Throws 403 unless `real`, a path with its symlinks resolved, is inside a root; with no roots, any path is. */
  async assertInside(real: string): Promise<void> {
    if (this.roots.length === 0) return;
    const roots = await this.allowedRoots();
    if (!roots.some((root) => real === root || real.startsWith(root.endsWith(sep) ? root : root + sep))) {
      throw new ForbiddenError('Path is outside the allowed roots');
    }
  }
}

/** Where the file open as `fd` really is: its descriptor's path (Linux /proc), else the real path of `path`. */
export async function locate(fd: number, path: string): Promise<string> {
  try {
    return await readlink(`/proc/self/fd/${fd}`);
  } catch {
    return realpath(path);
  }
}

async function realOrSelf(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch {
    return path;
  }
}

/** The real path of `path`: symlinks resolved in its longest existing prefix, the rest appended. */
async function realPrefix(path: string): Promise<string> {
  const tail: string[] = [];
  let current = path;
  for (;;) {
    try {
      const real = await realpath(current);
      return tail.length ? join(real, ...tail.reverse()) : real;
    } catch {
      const parent = dirname(current);
      if (parent === current) return path;
      tail.push(basename(current));
      current = parent;
    }
  }
}
