// Git queries of a workspace (OpenHands git_router and openhands.sdk.git), used by LocalWorkspace and by the
// agent server's /api/git routes: changes against a base, one file's original and modified text, recent
// commits, one commit's changes.
//
// Git runs as a child process with an argument array, never through a shell; values that come from
// requests are either checked hex SHAs or placed after `--`/inside `<rev>:<path>` so they cannot be
// read as options. Errors are two classes: GitRepositoryError (not a repository: callers answer with an
// empty result, as OpenHands does) and GitCommandError (a git failure: the server answers 400).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, readdir, realpath, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { AgentWorkspaceError } from '../errors.js';
import type { GitChange, GitDiff } from '../remote/protocol.js';

export const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';
/** Largest file whose contents /diff returns. */
const MAX_DIFF_FILE_BYTES = 1024 * 1024;
const MAX_GIT_OUTPUT = 64 * 1024 * 1024;

export class GitRepositoryError extends AgentWorkspaceError {
  override name = 'GitRepositoryError';
}
export class GitCommandError extends AgentWorkspaceError {
  override name = 'GitCommandError';
}

export type { GitChange, GitDiff } from '../remote/protocol.js';
export type GitChangeStatus = GitChange['status'];
export interface GitCommit { sha: string; short_sha: string; subject: string; author: string; timestamp: string }
export interface GitCommitsPage { commits: GitCommit[]; has_more: boolean }

/** Runs `git <args>` in `cwd` and returns stdout with surrounding whitespace trimmed. */
export function git(args: string[], cwd: string, env?: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    execFile('git', ['--no-pager', ...args], {
      cwd, env: { ...(env ?? process.env), GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' }, maxBuffer: MAX_GIT_OUTPUT, timeout: 60_000,
      encoding: 'utf8',
    }, (err, stdout, stderr) => {
      if (err) {
        reject(new GitCommandError(`Git command failed: git ${args[0]}: ${String(stderr).trim() || err.message}`));
        return;
      }
      resolvePromise(String(stdout).trim());
    });
  });
}

async function tryGit(args: string[], cwd: string): Promise<string | undefined> {
  try {
    return (await git(args, cwd)) || undefined;
  } catch {
    return undefined;
  }
}

/** The directory itself, after checking it is inside a git work tree. */
export async function validateRepository(dir: string): Promise<string> {
  const path = resolve(dir);
  let info;
  try {
    info = await stat(path);
  } catch {
    throw new GitRepositoryError(`Directory does not exist: ${path}`);
  }
  if (!info.isDirectory()) throw new GitRepositoryError(`Path is not a directory: ${path}`);
  try {
    await git(['rev-parse', '--git-dir'], path);
  } catch {
    throw new GitRepositoryError(`Not a git repository: ${path}`);
  }
  return path;
}

const revParse = (repo: string, ref: string) => tryGit(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], repo);

async function currentBranch(repo: string): Promise<string | undefined> {
  const branch = await tryGit(['rev-parse', '--abbrev-ref', 'HEAD'], repo);
  return branch && branch !== 'HEAD' ? branch : undefined;
}

async function remoteDefaultBranch(repo: string): Promise<string | undefined> {
  const symref = await tryGit(['rev-parse', '--abbrev-ref', 'origin/HEAD'], repo);
  return symref?.startsWith('origin/') && symref.length > 7 ? symref.slice(7) : undefined;
}

async function hasTrackedChanges(repo: string): Promise<boolean> {
  try {
    return (await git(['status', '--porcelain', '--untracked-files=no'], repo)).length > 0;
  } catch {
    return true;
  }
}

/**
 * The base to compare against. An explicit `override` must resolve (except `HEAD`, which falls back
 * to the empty tree on an unborn branch). Otherwise: the empty tree for a repository without commits;
 * for "display", origin/<branch> unless it equals a clean HEAD, then the merge base with origin's
 * default branch, that branch, a local main/master fork point, then HEAD; for "export", origin/<branch>,
 * origin/<default>, their merge base, then the empty tree.
 */
export async function baseRef(repo: string, override: string | undefined, purpose: 'display' | 'export'): Promise<string> {
  if (override !== undefined) {
    if (override.startsWith('-')) throw new GitCommandError(`Invalid ref: ${override}`);
    const sha = await revParse(repo, override);
    if (sha) return sha;
    if (override === 'HEAD') return EMPTY_TREE;
    throw new GitCommandError(`Git command failed: git rev-parse --verify ${override}`);
  }
  if ((await tryGit(['rev-list', '-n', '1', '--all'], repo)) === undefined) return EMPTY_TREE;
  const head = await revParse(repo, 'HEAD');
  const branch = await currentBranch(repo);
  const defaultBranch = await remoteDefaultBranch(repo);
  if (purpose === 'export') {
    for (const candidate of [branch && `origin/${branch}`, defaultBranch && `origin/${defaultBranch}`]) {
      const sha = candidate ? await revParse(repo, candidate) : undefined;
      if (sha) return sha;
    }
    if (defaultBranch) {
      const mergeBase = await tryGit(['merge-base', 'HEAD', `origin/${defaultBranch}`], repo);
      if (mergeBase) return mergeBase;
    }
    return EMPTY_TREE;
  }
  if (branch) {
    const upstream = await revParse(repo, `origin/${branch}`);
    if (upstream && !(upstream === head && !(await hasTrackedChanges(repo)))) return upstream;
  }
  if (defaultBranch) {
    const mergeBase = await tryGit(['merge-base', 'HEAD', `origin/${defaultBranch}`], repo);
    if (mergeBase) return mergeBase;
    const tip = await revParse(repo, `origin/${defaultBranch}`);
    if (tip) return tip;
  } else {
    for (const local of ['main', 'master']) {
      const sha = await revParse(repo, local);
      if (!sha) continue;
      if (local !== branch) {
        const mergeBase = await tryGit(['merge-base', 'HEAD', local], repo);
        if (mergeBase && mergeBase === sha) return mergeBase;
      }
      break;
    }
  }
  return head ?? EMPTY_TREE;
}

/** Parses `git diff --name-status` lines; a rename becomes DELETED old + ADDED new, a copy ADDED new. */
function parseNameStatus(output: string): GitChange[] {
  const changes: GitChange[] = [];
  for (const line of output.split('\n')) {
    if (!line.trim()) continue;
    const parts = line.split('\t');
    const status = parts[0] ?? '';
    if (status.startsWith('R') && parts.length === 3) {
      changes.push({ status: 'DELETED', path: parts[1] as string }, { status: 'ADDED', path: parts[2] as string });
    } else if (status.startsWith('C') && parts.length === 3) {
      changes.push({ status: 'ADDED', path: parts[2] as string });
    } else if (parts.length === 2) {
      const map: Record<string, GitChangeStatus> = { M: 'UPDATED', A: 'ADDED', D: 'DELETED', U: 'UPDATED', T: 'UPDATED' };
      const mapped = map[status];
      if (!mapped) throw new GitCommandError(`Unexpected git status: ${status}`);
      changes.push({ status: mapped, path: parts[1] as string });
    } else {
      throw new GitCommandError(`Unexpected git diff output format: ${line}`);
    }
  }
  return changes;
}

async function changesInRepo(repo: string, ref: string | undefined): Promise<GitChange[]> {
  const validated = await validateRepository(repo);
  const base = await baseRef(validated, ref, 'display');
  // -c core.quotePath=false keeps non-ASCII names readable; -z is avoided to keep parsing simple,
  // so names with tabs or newlines are reported quoted as git prints them.
  const changes = parseNameStatus(await git(['-c', 'core.quotePath=false', 'diff', '--name-status', base, '--'], validated));
  const untracked = await git(['-c', 'core.quotePath=false', 'ls-files', '--others', '--exclude-standard'], validated).catch(() => '');
  for (const path of untracked.split('\n')) if (path.trim()) changes.push({ status: 'ADDED', path: path.trim() });
  return changes;
}

/**
 * Changes in the repository at `dir` against `ref` (or the auto-detected base), plus those of git
 * repositories directly below it, with their paths prefixed; sorted by path.
 */
export async function gitChanges(dir: string, ref: string | undefined): Promise<GitChange[]> {
  const nested: string[] = [];
  try {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      if (entry.isDirectory() && existsSync(join(dir, entry.name, '.git'))) nested.push(entry.name);
    }
  } catch {
    // validateRepository reports it
  }
  let changes = await changesInRepo(dir, ref);
  changes = changes.filter((c) => !nested.some((n) => c.path === n || c.path.startsWith(n + '/')));
  for (const name of nested) {
    try {
      for (const c of await changesInRepo(join(dir, name), ref)) changes.push({ status: c.status, path: `${name}/${c.path}` });
    } catch (err) {
      if (!(err instanceof GitRepositoryError || err instanceof GitCommandError)) throw err;
    }
  }
  return changes.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** The repository holding `file`: the nearest directory at or above it with `.git`, validated. */
/**
 * The repository holding `file` as git itself discovers it (GIT_DIR, GIT_CEILING_DIRECTORIES, a `.git` file of a
 * worktree), written in the file's own spelling of the path (git answers with real paths).
 */
async function repoOf(file: string): Promise<string> {
  const top = await tryGit(['rev-parse', '--show-toplevel'], dirname(file));
  if (!top) throw new GitRepositoryError(`File is not in a git repository: ${file}`);
  const realDir = await realpath(dirname(file));
  const inside = relative(top, realDir);
  return validateRepository(inside ? resolve(dirname(file), ...inside.split(sep).map(() => '..')) : dirname(file));
}

/** `commit` (hex, checked by the caller) resolved in `repo`, and its first parent (the empty tree for a root commit). */
async function commitAndParent(repo: string, commit: string): Promise<{ sha: string; parent: string }> {
  const sha = await revParse(repo, commit);
  if (!sha) throw new GitCommandError(`Unknown commit: ${commit}`);
  return { sha, parent: (await revParse(repo, `${sha}^`)) ?? EMPTY_TREE };
}

function repoRelative(repo: string, path: string): string {
  const rel = relative(repo, path);
  if (rel.startsWith('..') || rel === '') throw new GitCommandError(`File is not within git repository: ${path}`);
  return rel.split(sep).join('/');
}

async function showAt(repo: string, rev: string, rel: string): Promise<string> {
  const spec = `${rev}:${rel}`;
  const size = Number(await tryGit(['cat-file', '-s', spec], repo));
  if (!Number.isFinite(size)) return '';
  if (size > MAX_DIFF_FILE_BYTES) throw new GitCommandError(`File too large for git diff: ${size} bytes (max: ${MAX_DIFF_FILE_BYTES} bytes)`);
  return (await tryGit(['show', spec], repo)) ?? '';
}

/** One file: its text at the base (`original`) and on disk now (`modified`). */
export async function gitDiff(file: string, ref: string | undefined): Promise<GitDiff> {
  let info;
  try {
    info = await stat(file);
  } catch {
    throw new GitCommandError(`File does not exist: ${file}`);
  }
  if (info.size > MAX_DIFF_FILE_BYTES) {
    throw new GitCommandError(`File too large for git diff: ${info.size} bytes (max: ${MAX_DIFF_FILE_BYTES} bytes)`);
  }
  const repo = await repoOf(file);
  const base = await baseRef(repo, ref, 'display');
  const rel = repoRelative(repo, file);
  const original = base === EMPTY_TREE ? '' : ((await tryGit(['show', `${base}:${rel}`], repo)) ?? '');
  let modified = '';
  try {
    modified = (await readFile(file, 'utf8')).split(/\r\n|\r|\n/).filter((_, i, all) => i < all.length - 1 || all[i] !== '').join('\n');
  } catch {
    modified = '';
  }
  return { modified, original };
}

/** One file as changed by `commit` (hex, checked by the caller): first parent vs the commit. */
export async function gitCommitFileDiff(file: string, commit: string): Promise<GitDiff> {
  const repo = await repoOf(file);
  const { sha, parent } = await commitAndParent(repo, commit);
  const rel = repoRelative(repo, file);
  return { original: await showAt(repo, parent, rel), modified: await showAt(repo, sha, rel) };
}

/** The newest `limit` commits reachable from HEAD. */
export async function gitCommits(dir: string, limit: number): Promise<GitCommitsPage> {
  const repo = await validateRepository(dir);
  const head = await revParse(repo, 'HEAD');
  if (!head) return { commits: [], has_more: false };
  const out = await git(['log', '--no-show-signature', '--format=%H%x1f%h%x1f%an%x1f%aI%x1f%s', '-n', String(limit + 1), head], repo);
  const commits: GitCommit[] = [];
  for (const line of out ? out.split('\n') : []) {
    const f = line.split('\x1f');
    if (f.length !== 5) continue;
    const [sha, short_sha, author, timestamp, subject] = f as [string, string, string, string, string];
    commits.push({ sha, short_sha, subject, author, timestamp });
  }
  return { commits: commits.slice(0, limit), has_more: commits.length > limit };
}

/** Files changed by one commit (hex, checked by the caller) against its first parent. */
export async function gitCommitChanges(dir: string, commit: string): Promise<GitChange[]> {
  const repo = await validateRepository(dir);
  const { sha, parent } = await commitAndParent(repo, commit);
  return parseNameStatus(await git(['-c', 'core.quotePath=false', 'diff', '--name-status', parent, sha, '--'], repo));
}
