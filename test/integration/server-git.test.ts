// /api/git against the real server and real repositories: changes, diff, commits and one commit's
// changes; non-repositories give empty results; bad input gives 400/422.
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { git } from '../support/git.js';
import { assertMatchesSchema } from '../support/openhands-schema.js';
import { type TestServer, call, startServer } from '../support/server.js';

jest.setTimeout(60_000);

interface GitChange { status: string; path: string }

describe('agent server: git', () => {
  let server: TestServer;
  let repo: string;
  let first: string;
  let second: string;
  beforeAll(async () => {
    server = await startServer();
    repo = join(server.dataDir, 'repo');
    mkdirSync(repo);
    git(repo, 'init', '-q');
    writeFileSync(join(repo, 'keep.txt'), 'keep\n');
    writeFileSync(join(repo, 'edit.txt'), 'line 1\n');
    writeFileSync(join(repo, 'gone.txt'), 'bye\n');
    writeFileSync(join(repo, 'old-name.txt'), 'moving content that is long enough to be detected as a rename\n');
    git(repo, 'add', '.');
    git(repo, 'commit', '-qm', 'first commit');
    first = git(repo, 'rev-parse', 'HEAD').trim();
    writeFileSync(join(repo, 'second.txt'), 'two\n');
    git(repo, 'add', '.');
    git(repo, 'commit', '-qm', 'second commit');
    second = git(repo, 'rev-parse', 'HEAD').trim();
    // Working tree changes against HEAD.
    writeFileSync(join(repo, 'edit.txt'), 'line 1\nline 2\n');
    rmSync(join(repo, 'gone.txt'));
    renameSync(join(repo, 'old-name.txt'), join(repo, 'new-name.txt'));
    git(repo, 'add', '-A', 'old-name.txt', 'new-name.txt');
    writeFileSync(join(repo, 'untracked.txt'), 'new\n');
    // A repository one level below, with its own change.
    const nested = join(repo, 'nested');
    mkdirSync(nested);
    git(nested, 'init', '-q');
    writeFileSync(join(nested, 'inner.txt'), 'inner\n');
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('lists changes against HEAD: updated, deleted, renamed as deleted+added, untracked, nested repositories', async () => {
    const res = await call<GitChange[]>(server, 'GET', `/api/git/changes?path=${encodeURIComponent(repo)}`);
    expect(res.status).toBe(200);
    for (const change of res.body) assertMatchesSchema('GitChange', change);
    expect(res.body).toEqual([
      { status: 'UPDATED', path: 'edit.txt' },
      { status: 'DELETED', path: 'gone.txt' },
      { status: 'ADDED', path: 'nested/inner.txt' },
      { status: 'ADDED', path: 'new-name.txt' },
      { status: 'DELETED', path: 'old-name.txt' },
      { status: 'ADDED', path: 'untracked.txt' },
    ]);
    const sinceFirst = await call<GitChange[]>(server, 'GET', `/api/git/changes?path=${encodeURIComponent(repo)}&ref=${first}`);
    expect(sinceFirst.body).toContainEqual({ status: 'ADDED', path: 'second.txt' });
  });

  it('gives a file\'s original and modified text', async () => {
    const res = await call(server, 'GET', `/api/git/diff?path=${encodeURIComponent(join(repo, 'edit.txt'))}`);
    expect(res.status).toBe(200);
    assertMatchesSchema('GitDiff', res.body);
    expect(res.body).toEqual({ original: 'line 1', modified: 'line 1\nline 2' });
    const added = await call(server, 'GET', `/api/git/diff?path=${encodeURIComponent(join(repo, 'untracked.txt'))}`);
    expect(added.body).toEqual({ original: '', modified: 'new' });
    const atCommit = await call(server, 'GET', `/api/git/diff?path=${encodeURIComponent(join(repo, 'second.txt'))}&commit=${second.slice(0, 10)}`);
    assertMatchesSchema('GitDiff', atCommit.body);
    expect(atCommit.body).toEqual({ original: '', modified: 'two' });
  });

  it('lists commits newest first with paging by limit, and one commit\'s changes', async () => {
    const res = await call<{ commits: { sha: string; subject: string; author: string; short_sha: string; timestamp: string }[]; has_more: boolean }>(server, 'GET', `/api/git/commits?path=${encodeURIComponent(repo)}&limit=1`);
    expect(res.status).toBe(200);
    assertMatchesSchema('GitCommitsPage', res.body);
    expect(res.body.has_more).toBe(true);
    expect(res.body.commits).toHaveLength(1);
    expect(res.body.commits[0]).toMatchObject({ sha: second, subject: 'second commit', author: 'Test Author' });
    expect(second.startsWith(res.body.commits[0]!.short_sha)).toBe(true);
    expect(res.body.commits[0]!.timestamp).toMatch(/^\d{4}-\d\d-\d\dT/);
    const all = await call<{ commits: unknown[]; has_more: boolean }>(server, 'GET', `/api/git/commits?path=${encodeURIComponent(repo)}`);
    expect(all.body).toMatchObject({ has_more: false });
    expect(all.body.commits).toHaveLength(2);

    const changes = await call<GitChange[]>(server, 'GET', `/api/git/commits/${first}/changes?path=${encodeURIComponent(repo)}`);
    expect(changes.status).toBe(200);
    for (const c of changes.body) assertMatchesSchema('GitChange', c);
    expect(changes.body.map((c) => c.path).sort()).toEqual(['edit.txt', 'gone.txt', 'keep.txt', 'old-name.txt']);
    expect(changes.body.every((c) => c.status === 'ADDED')).toBe(true);
  });

  it('answers a directory that is not a repository with empty results', async () => {
    const plain = join(server.dataDir, 'plain');
    mkdirSync(plain);
    writeFileSync(join(plain, 'f.txt'), 'x');
    expect((await call(server, 'GET', `/api/git/changes?path=${encodeURIComponent(plain)}`)).body).toEqual([]);
    expect((await call(server, 'GET', `/api/git/diff?path=${encodeURIComponent(join(plain, 'f.txt'))}`)).body).toEqual({ modified: null, original: null });
    expect((await call(server, 'GET', `/api/git/commits?path=${encodeURIComponent(plain)}`)).body).toEqual({ commits: [], has_more: false });
  });

  it('rejects bad input: unknown ref 400, ref and commit together 400, bad sha 422, option-like ref 422, bad limit 422', async () => {
    const unknownRef = await call<{ detail: string }>(server, 'GET', `/api/git/changes?path=${encodeURIComponent(repo)}&ref=no-such-branch`);
    expect(unknownRef.status).toBe(400);
    expect(typeof unknownRef.body.detail).toBe('string');
    expect(await call(server, 'GET', `/api/git/diff?path=${encodeURIComponent(join(repo, 'edit.txt'))}&ref=HEAD&commit=${first}`))
      .toMatchObject({ status: 400, body: { detail: "'ref' and 'commit' are mutually exclusive" } });
    for (const path of [
      `/api/git/diff?path=${encodeURIComponent(join(repo, 'edit.txt'))}&commit=--output=x`,
      `/api/git/commits/not-hex/changes?path=${encodeURIComponent(repo)}`,
      `/api/git/changes?path=${encodeURIComponent(repo)}&ref=--output=/tmp/x`,
      `/api/git/commits?path=${encodeURIComponent(repo)}&limit=500`,
    ]) {
      const res = await call(server, 'GET', path);
      expect(res.status).toBe(422);
      assertMatchesSchema('HttpValidationError', res.body);
    }
    expect((await call(server, 'GET', `/api/git/commits/${'ab'.repeat(20)}/changes?path=${encodeURIComponent(repo)}`)).status).toBe(400);
    expect((await call(server, 'GET', '/api/git/changes?path=relative')).status).toBe(400);
    expect((await call(server, 'GET', `/api/git/diff?path=${encodeURIComponent(join(repo, 'missing.txt'))}`)).status).toBe(400);
  });
});
