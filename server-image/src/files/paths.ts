// The one place request paths become filesystem paths, for the file and git routes.
//
// Rules (OpenHands: paths are absolute; the container is the boundary): a missing or repeated `path`
// is a 422; a NUL byte or a relative path is a 400. With allowed roots configured (servers run outside
// a sandbox), the path's real location — symlinks resolved through its longest existing prefix — must
// lie inside one of the roots' real locations, else 403; `..` segments are resolved first, so they
// cannot climb out either. A checked path is a string used again later, so a directory swapped for a
// symlink in between would be followed: writers re-check what they actually created (`assertInside` on
// `locate` of the opened file).
//
// Denied places (the sandbox mode's SERVER_PRIVATE_PATHS: the server's own /proc, /sys, /dev and secret mounts) are
// refused the same way, whatever the roots: a path whose real location lies in one is a 403 naming both, so a
// symlink the agent planted in the workspace cannot make the server read its own environment or memory.
import { readlink, realpath } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { z } from 'zod';
import { ForbiddenError, InvalidRequestError } from '../errors.js';
import { parseOrThrow } from '../validation.js';

/** The `path` query parameter of the file and git routes. */
export const PathQuerySchema = z.object({ path: z.string() });

/**
 * What the agent server, when the agent's processes run in the sandbox container (OH_SANDBOX_SOCKET), never reads
 * or writes for a request or tool: its own process information, devices and mounted secrets, which the agent's
 * processes cannot see and must not get through the server.
 */
export const SERVER_PRIVATE_PATHS: readonly string[] = ['/proc', '/sys', '/dev', '/run/secrets', '/var/run/secrets'];

/** The denied places for a configuration: SERVER_PRIVATE_PATHS when the agent runs in the sandbox, else none. */
export function deniedPaths(config: { sandboxSocket?: string | undefined }): readonly string[] {
  return config.sandboxSocket ? SERVER_PRIVATE_PATHS : [];
}

export class PathPolicy {
  private realRoots: Promise<string[]> | undefined;

  /** `roots`: absolute directories; empty allows any path. `denied`: absolute directories refused even inside a root. */
  constructor(readonly roots: readonly string[], readonly denied: readonly string[] = []) {}

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
    if (this.roots.length === 0 && this.denied.length === 0) return normalized;
    const real = await realPrefix(normalized);
    await this.assertInside(real, normalized);
    return real;
  }

  /**
   * Throws 403 unless `real`, a path with its symlinks resolved, is inside a root (with no roots, any path is) and
   * in no denied place. `asked`: the path as requested, for the message.
   */
  async assertInside(real: string, asked = real): Promise<void> {
    const place = this.denied.find((dir) => within(real, dir));
    if (place !== undefined) {
      const where = asked === real ? `Path ${asked} is inside ${place}` : `Path ${asked} resolves to ${real}, inside ${place}`;
      throw new ForbiddenError(`${where}: this server does not serve its own ${place}`);
    }
    if (this.roots.length === 0) return;
    const roots = await this.allowedRoots();
    if (!roots.some((root) => within(real, root))) throw new ForbiddenError('Path is outside the allowed roots');
  }
}

function within(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir.endsWith(sep) ? dir : dir + sep);
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
