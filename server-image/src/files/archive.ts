// Workspace archives (OpenHands GET /api/file/archive): `tar.gz` of a directory, or `git-delta`, a
// binary patch of the working tree against a base commit. Both are written to a temporary file first
// (so the response has a length and a failure is a clean error), then streamed and deleted.
//
// Both formats apply the same excludes: the defaults below (unless use_default_excludes=false) plus the
// caller's. The tarball never follows or stores symlinks and never contains credential-bearing git files.
import { randomBytes } from 'node:crypto';
import { constants, existsSync } from 'node:fs';
import { access, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, matchesGlob } from 'node:path';
import { create as createTar } from 'tar';
import { EMPTY_TREE, GitCommandError, baseRef, git, validateRepository } from '@agentworkspace/sdk/git';

export const DEFAULT_EXCLUDES = [
  '.git/', 'node_modules/', '.venv/', 'venv/', '__pycache__/', '.mypy_cache/', '.pytest_cache/', '.ruff_cache/',
  'dist/', 'build/', '.next/', 'target/', '*.pyc',
];

const SENSITIVE_GIT_FILES = new Set(['config', 'config.worktree', 'credentials', '.git-credentials', 'FETCH_HEAD']);
const DESCENT_SKIP = new Set(['node_modules', 'venv', 'site-packages', 'vendor']);

export interface Archive {
  /** Temporary file holding the archive; the caller deletes it with `dispose`. */
  file: string;
  size: number;
  contentType: string;
  filename: string;
  headers: Record<string, string>;
  dispose(): Promise<void>;
}

/** True for credential-bearing files inside any `.git` directory (config, credentials, reflogs, …). */
function isSensitiveGitPath(parts: string[]): boolean {
  const at = parts.indexOf('.git');
  if (at < 0) return false;
  const inner = parts.slice(at + 1);
  if (inner.length === 0) return false;
  return inner.includes('logs') || SENSITIVE_GIT_FILES.has(inner[inner.length - 1] as string);
}

/** gitignore-like matching: a bare pattern matches any component; one with `/` is anchored at the root. */
function isExcluded(parts: string[], patterns: string[], isDir: boolean): boolean {
  for (const raw of patterns) {
    const dirOnly = raw.endsWith('/');
    const pattern = raw.replace(/\/+$/, '');
    if (!pattern) continue;
    if (pattern.includes('/')) {
      const pp = pattern.split('/');
      if (parts.length >= pp.length && pp.every((p, i) => matchesGlob(parts[i] as string, p))) {
        if (dirOnly && !isDir && parts.length === pp.length) continue;
        return true;
      }
    } else {
      const candidates = isDir || !dirOnly ? parts : parts.slice(0, -1);
      if (candidates.some((part) => matchesGlob(part, pattern))) return true;
    }
  }
  return false;
}

/** `dir` if it is a git work tree, else the single repository found up to 3 levels below it, else `dir`. */
async function resolveRepoRoot(dir: string, maxDepth = 3): Promise<string> {
  if (existsSync(join(dir, '.git'))) return dir;
  const found: string[] = [];
  const frontier: [string, number][] = [[dir, 0]];
  while (frontier.length) {
    const [current, depth] = frontier.pop() as [string, number];
    if (depth >= maxDepth) continue;
    let entries;
    try {
      entries = await readdir(current, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (entry.name.startsWith('.') || DESCENT_SKIP.has(entry.name) || !entry.isDirectory()) continue;
      const child = join(current, entry.name);
      if (existsSync(join(child, '.git'))) {
        found.push(child);
        if (found.length > 1) return dir;
      } else {
        frontier.push([child, depth + 1]);
      }
    }
  }
  return found.length === 1 ? (found[0] as string) : dir;
}

async function scratchDir(near: string): Promise<string> {
  const parent = dirname(near);
  try {
    if (parent !== near) {
      await access(parent, constants.W_OK);
      return await mkdtemp(join(parent, '.archive-'));
    }
  } catch {
    // fall back to the system temp directory
  }
  return mkdtemp(join(tmpdir(), 'agent-server-archive-'));
}

const headerSafe = (value: string) => encodeURIComponent(value);

async function repoHeaders(root: string): Promise<Record<string, string>> {
  if (!existsSync(join(root, '.git'))) return {};
  const headers: Record<string, string> = {};
  const remote = await git(['remote', 'get-url', 'origin'], root).catch(() => '');
  // Credentials embedded in a clone URL never leave the server.
  if (remote) headers['X-Archive-Repo-Remote'] = headerSafe(remote.replace(/\/\/[^/@]*@/, '//'));
  const lines = (await git(['rev-parse', 'HEAD', '--abbrev-ref', 'HEAD'], root).catch(() => '')).split('\n');
  if (lines.length === 2) {
    headers['X-Archive-Head-Commit'] = headerSafe(lines[0] as string);
    headers['X-Archive-Branch'] = headerSafe(lines[1] === 'HEAD' ? 'DETACHED' : (lines[1] as string));
  }
  headers['X-Archive-Repo-Root'] = headerSafe(root);
  return headers;
}

function gitPathspecs(excludes: string[]): string[] {
  const specs: string[] = [];
  for (const raw of excludes) {
    const dirOnly = raw.endsWith('/');
    const pat = raw.replace(/\/+$/, '');
    if (!pat) continue;
    if (pat.includes('/')) {
      if (!dirOnly) specs.push(`:(glob,exclude)${pat}`);
      specs.push(`:(glob,exclude)${pat}/**`);
    } else {
      if (!dirOnly) specs.push(`:(glob,exclude)**/${pat}`);
      specs.push(`:(glob,exclude)**/${pat}/**`);
    }
  }
  return specs;
}

async function tarGz(root: string, out: string, excludes: string[]): Promise<void> {
  const parent = dirname(root);
  const name = basename(root);
  await createTar({
    gzip: true, file: out, cwd: parent, portable: true, follow: false,
    filter: (path, entry) => {
      const rel = path.replace(/^\.?\/*/, '').split('/').slice(1); // drop the root's own name
      if (rel.length === 0) return true;
      const isStat = 'isSymbolicLink' in entry;
      if (isStat && (entry.isSymbolicLink() || !(entry.isFile() || entry.isDirectory()))) return false;
      const isDir = isStat ? entry.isDirectory() : false;
      return !isExcluded(rel, excludes, isDir) && !isSensitiveGitPath(rel);
    },
  }, [name]);
}

async function gitDelta(root: string, ref: string | undefined, out: string, excludes: string[]): Promise<string> {
  const repo = await validateRepository(root);
  let requested = ref;
  if (requested === undefined && (await git(['rev-parse', '--abbrev-ref', 'HEAD'], repo).catch(() => '')) === 'HEAD') requested = 'HEAD';
  let base: string;
  try {
    base = await baseRef(repo, requested, 'export');
  } catch {
    throw new GitCommandError(`base_ref ${JSON.stringify(ref)} could not be resolved`);
  }
  const env = { ...process.env, GIT_INDEX_FILE: `${out}.index` };
  const specs = gitPathspecs(excludes);
  try {
    await git(['read-tree', base], repo, env);
    await git(['add', '-A', '--', '.', ...specs], repo, env);
    await git(['diff', '--binary', '--cached', `--output=${out}`, base, '--', '.', ...specs], repo, env);
  } finally {
    await rm(`${out}.index`, { force: true });
  }
  if (!existsSync(out)) await writeFile(out, '');
  return base === EMPTY_TREE ? '' : ((await git(['rev-parse', '--verify', `${base}^{commit}`], repo).catch(() => '')) || '');
}

/**
 * Builds the archive of `dir` (absolute, an existing directory). Throws GitRepositoryError for
 * git-delta outside a repository and GitCommandError for an unusable base_ref.
 */
export async function buildArchive(dir: string, opts: { format: 'tar.gz' | 'git-delta'; baseRef?: string; excludes: string[] }): Promise<Archive> {
  const root = await resolveRepoRoot(dir);
  const scratch = await scratchDir(root);
  const dispose = () => rm(scratch, { recursive: true, force: true });
  const file = join(scratch, `archive-${randomBytes(4).toString('hex')}${opts.format === 'tar.gz' ? '.tar.gz' : '.patch'}`);
  try {
    let baseCommit = '';
    if (opts.format === 'tar.gz') await tarGz(root, file, opts.excludes);
    else baseCommit = await gitDelta(root, opts.baseRef, file, opts.excludes);
    const headers = await repoHeaders(root);
    if (baseCommit) {
      headers['X-Archive-Base-Commit'] = baseCommit;
      headers['X-Archive-Base-Ref'] = headerSafe(opts.baseRef ?? 'auto');
    }
    return {
      file, size: (await stat(file)).size, headers, dispose,
      contentType: opts.format === 'tar.gz' ? 'application/gzip' : 'text/x-patch',
      filename: `${basename(root)}${opts.format === 'tar.gz' ? '.tar.gz' : '.patch'}`,
    };
  } catch (err) {
    await dispose();
    throw err;
  }
}
