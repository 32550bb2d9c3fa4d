// /api/file against the real server: streamed multipart upload with atomic rename and a size limit,
// streamed download with its length, create_directory, archives (tar.gz, git-delta), the path rules and
// the optional allowlist of roots.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, readlinkSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { git } from '../support/git.js';
import { assertMatchesSchema } from '../support/openhands-schema.js';
import { type TestServer, call, startServer } from '../support/server.js';
import { waitFor } from '../support/wait.js';

jest.setTimeout(60_000);

const LIMIT = 64 * 1024;

function form(content: Uint8Array | string, field = 'file'): FormData {
  const fd = new FormData();
  fd.append(field, new Blob([content]), 'payload.bin');
  return fd;
}

function upload(server: TestServer, path: string, body: FormData | string, headers: Record<string, string> = {}) {
  return call(server, 'POST', `/api/file/upload?path=${encodeURIComponent(path)}`, { body, headers });
}

describe('agent server: files', () => {
  let server: TestServer;
  let dir: string;
  beforeAll(async () => {
    server = await startServer({ env: { AGENT_SERVER_MAX_UPLOAD_BYTES: String(LIMIT) } });
    dir = join(server.dataDir, 'files');
    mkdirSync(dir);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('uploads into new parent directories and downloads the same bytes with Content-Length', async () => {
    const bytes = randomBytes(50_000);
    const target = join(dir, 'a', 'b', 'c', 'blob.bin');
    const res = await upload(server, target, form(bytes));
    expect(res.status).toBe(200);
    // OpenHands 1.58's FileUploadResult (newer than the schema of @openhands/typescript-client).
    expect(res.body).toEqual({ success: true, file_size: 50_000 });
    expect(readFileSync(target).equals(bytes)).toBe(true);
    expect(readdirSync(join(dir, 'a', 'b', 'c'))).toEqual(['blob.bin']);

    const down = await fetch(`${server.url}/api/file/download?path=${encodeURIComponent(target)}`, { headers: { 'X-Session-API-Key': server.key as string } });
    expect(down.status).toBe(200);
    expect(down.headers.get('content-type')).toBe('application/octet-stream');
    expect(down.headers.get('content-length')).toBe(String(bytes.length));
    expect(Buffer.from(await down.arrayBuffer()).equals(bytes)).toBe(true);

    // Replacing a file is atomic: the new content, nothing else left beside it.
    expect((await upload(server, target, form('second'))).status).toBe(200);
    expect(readFileSync(target, 'utf8')).toBe('second');
    const empty = join(dir, 'empty.txt');
    expect((await upload(server, empty, form(''))).status).toBe(200);
    const emptyDown = await fetch(`${server.url}/api/file/download?path=${encodeURIComponent(empty)}`, { headers: { 'X-Session-API-Key': server.key as string } });
    expect(emptyDown.headers.get('content-length')).toBe('0');
    expect(await emptyDown.text()).toBe('');

    const metrics = await call<string>(server, 'GET', '/metrics');
    expect(metrics.body).toMatch(/agent_server_file_bytes_total\{direction="upload"\} 5000[0-9]/);
    expect(metrics.body).toMatch(/agent_server_file_bytes_total\{direction="download"\} 50000/);
  });

  it('refuses an upload over the limit with 413, leaving nothing behind and an existing file untouched', async () => {
    const target = join(dir, 'big', 'too-big.bin');
    const res = await upload(server, target, form(randomBytes(LIMIT + 1)));
    expect(res).toMatchObject({ status: 413, body: { detail: `File exceeds the upload limit of ${LIMIT} bytes` } });
    expect(readdirSync(join(dir, 'big'))).toEqual([]);

    const existing = join(dir, 'keep.txt');
    writeFileSync(existing, 'original');
    const huge = await upload(server, existing, form(randomBytes(4 * LIMIT)));
    expect(huge.status).toBe(413);
    expect(readFileSync(existing, 'utf8')).toBe('original');
    expect(readdirSync(dir).filter((n) => n.includes('upload'))).toEqual([]);
    // Exactly at the limit is fine.
    expect((await upload(server, join(dir, 'exact.bin'), form(randomBytes(LIMIT)))).status).toBe(200);
    expect((await call(server, 'GET', '/alive')).status).toBe(200);
  });

  it('leaves nothing behind when the client disconnects mid-upload, and keeps serving', async () => {
    const { request } = await import('node:http');
    const target = join(dir, 'aborted', 'half.bin');
    const { port } = new URL(server.url);
    const boundary = 'abortboundary';
    const req = request({
      host: '127.0.0.1', port: Number(port), method: 'POST', path: `/api/file/upload?path=${encodeURIComponent(target)}`,
      headers: { 'X-Session-API-Key': server.key as string, 'Content-Type': `multipart/form-data; boundary=${boundary}`, 'Content-Length': String(LIMIT) },
    });
    req.on('error', () => undefined);
    req.write(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="half.bin"\r\n\r\n`);
    req.write(randomBytes(10_000));
    await waitFor(() => existsSync(join(dir, 'aborted')) && readdirSync(join(dir, 'aborted')).length > 0, 'the upload to start');
    req.destroy();
    await waitFor(() => readdirSync(join(dir, 'aborted')).length === 0, 'the partial upload to be removed');
    expect(existsSync(target)).toBe(false);
    expect((await call(server, 'GET', '/alive')).status).toBe(200);
  });

  it('downloads a file larger than its send buffers whole, and closes the file when the client goes away mid-download', async () => {
    const big = join(dir, 'big.bin');
    const bytes = randomBytes(5 * 1024 * 1024 + 7);
    writeFileSync(big, bytes);
    const down = await fetch(`${server.url}/api/file/download?path=${encodeURIComponent(big)}`, { headers: { 'X-Session-API-Key': server.key as string } });
    expect(down.headers.get('content-length')).toBe(String(bytes.length));
    expect(Buffer.from(await down.arrayBuffer()).equals(bytes)).toBe(true);

    const { request } = await import('node:http');
    const { port } = new URL(server.url);
    const opened = () => readdirSync(`/proc/${server.process.pid}/fd`).some((fd) => {
      try {
        return readlinkSync(`/proc/${server.process.pid}/fd/${fd}`) === big;
      } catch {
        return false; // closed while we looked
      }
    });
    await new Promise<void>((resolve, reject) => {
      const req = request({
        host: '127.0.0.1', port: Number(port), path: `/api/file/download?path=${encodeURIComponent(big)}`,
        headers: { 'X-Session-API-Key': server.key as string },
      }, (res) => {
        // The first piece arrived; the client stops reading (the server waits on a full socket), then leaves.
        res.once('data', () => {
          res.pause();
          expect(opened()).toBe(true);
          req.destroy();
          resolve();
        });
      });
      req.on('error', () => undefined);
      req.on('response', (res) => res.on('error', () => undefined));
      req.once('close', () => resolve());
      req.end();
      req.once('error', reject);
    });
    await waitFor(() => !opened(), 'the server to close the abandoned download');
    expect((await call(server, 'GET', '/alive')).status).toBe(200);
  });

  it('rejects uploads without a file part, or not multipart, with 422', async () => {
    const noFile = await upload(server, join(dir, 'x.txt'), form('data', 'other'));
    expect(noFile.status).toBe(422);
    assertMatchesSchema('HttpValidationError', noFile.body);
    expect(noFile.body).toEqual({ detail: [{ loc: ['body', 'file'], msg: 'Field required', type: 'missing' }] });
    const notMultipart = await upload(server, join(dir, 'x.txt'), 'plain text', { 'Content-Type': 'text/plain' });
    expect(notMultipart.status).toBe(422);
    const broken = await upload(server, join(dir, 'x.txt'), '--zzz\r\nnonsense', { 'Content-Type': 'multipart/form-data; boundary=zzz' });
    expect([400, 422]).toContain(broken.status);
    expect(existsSync(join(dir, 'x.txt'))).toBe(false);
  });

  it('applies the path rules: relative 400, NUL 400, missing 404, directory-for-file 400, no path 422', async () => {
    for (const [method, route] of [['POST', 'upload'], ['GET', 'download'], ['POST', 'create_directory'], ['GET', 'archive']] as const) {
      const relative = await call(server, method, `/api/file/${route}?path=relative/x`, method === 'POST' && route === 'upload' ? { body: form('x') } : {});
      expect(relative).toMatchObject({ status: 400, body: { detail: 'Path must be absolute' } });
      const nul = await call(server, method, `/api/file/${route}?path=${encodeURIComponent(join(dir, 'a\0b'))}`, method === 'POST' && route === 'upload' ? { body: form('x') } : {});
      expect(nul).toMatchObject({ status: 400, body: { detail: 'Path must not contain NUL bytes' } });
      const none = await call(server, method, `/api/file/${route}`);
      expect(none.status).toBe(422);
      assertMatchesSchema('HttpValidationError', none.body);
      const twice = await call(server, method, `/api/file/${route}?path=/a&path=/b`);
      expect(twice.status).toBe(422);
    }
    expect(await call(server, 'GET', `/api/file/download?path=${encodeURIComponent(join(dir, 'missing.txt'))}`)).toMatchObject({ status: 404, body: { detail: 'File not found' } });
    expect(await call(server, 'GET', `/api/file/download?path=${encodeURIComponent(dir)}`)).toMatchObject({ status: 400, body: { detail: 'Path is not a file' } });
    expect(await upload(server, dir, form('x'))).toMatchObject({ status: 400, body: { detail: 'Path is a directory' } });
    writeFileSync(join(dir, 'plain'), 'x');
    expect(await upload(server, join(dir, 'plain', 'child.txt'), form('x'))).toMatchObject({ status: 400, body: { detail: 'Parent path is not a directory' } });
  });

  it('creates directories (idempotent) and refuses one over a file', async () => {
    const target = join(dir, 'made', 'deep', 'er');
    for (let i = 0; i < 2; i++) {
      const res = await call(server, 'POST', `/api/file/create_directory?path=${encodeURIComponent(target)}`);
      expect(res.status).toBe(200);
      assertMatchesSchema('Success', res.body);
    }
    expect(existsSync(target)).toBe(true);
    writeFileSync(join(dir, 'afile'), 'x');
    expect(await call(server, 'POST', `/api/file/create_directory?path=${encodeURIComponent(join(dir, 'afile'))}`))
      .toMatchObject({ status: 400, body: { detail: 'Path exists and is not a directory' } });
  });

  it('browses: home with its top-level directories, and subdirectories paged by lower-cased name', async () => {
    const homeRes = await call<{ home: string; locations: unknown[] }>(server, 'GET', '/api/file/home');
    expect(homeRes.status).toBe(200);
    assertMatchesSchema('HomeResponse', homeRes.body);
    expect(homeRes.body.locations).toEqual([{ label: '/', path: '/' }]);
    const browse = join(dir, 'browse');
    for (const name of ['beta', 'Alpha', 'gamma', '.hidden']) mkdirSync(join(browse, name), { recursive: true });
    writeFileSync(join(browse, 'file.txt'), '');
    symlinkSync(join(browse, 'beta'), join(browse, 'link'));
    const first = await call<{ items: { name: string }[]; next_page_id: string | null }>(server, 'GET', `/api/file/search_subdirs?path=${encodeURIComponent(browse)}&limit=2`);
    assertMatchesSchema('SubdirectoryPage', first.body);
    expect(first.body).toEqual({ items: [{ name: 'Alpha', path: join(browse, 'Alpha') }, { name: 'beta', path: join(browse, 'beta') }], next_page_id: 'gamma' });
    const second = await call<{ items: { name: string }[] }>(server, 'GET', `/api/file/search_subdirs?path=${encodeURIComponent(browse)}&limit=2&page_id=gamma`);
    expect(second.body).toEqual({ items: [{ name: 'gamma', path: join(browse, 'gamma') }], next_page_id: null });
    const hidden = await call<{ items: { name: string }[] }>(server, 'GET', `/api/file/search_subdirs?path=${encodeURIComponent(browse)}&include_hidden=true`);
    expect(hidden.body.items.map((i) => i.name)).toEqual(['.hidden', 'Alpha', 'beta', 'gamma']);
    expect((await call(server, 'GET', `/api/file/search_subdirs?path=${encodeURIComponent(join(browse, 'nope'))}`)).status).toBe(404);
    expect((await call(server, 'GET', `/api/file/search_subdirs?path=${encodeURIComponent(join(browse, 'file.txt'))}`)).status).toBe(400);
    expect((await call(server, 'GET', `/api/file/search_subdirs?path=${encodeURIComponent(browse)}&limit=0`)).status).toBe(422);
  });

  it('archives a directory as tar.gz without excluded, symlinked or credential files', async () => {
    const project = join(dir, 'project');
    mkdirSync(join(project, 'src'), { recursive: true });
    mkdirSync(join(project, 'node_modules', 'dep'), { recursive: true });
    writeFileSync(join(project, 'src', 'main.ts'), 'export {};\n');
    writeFileSync(join(project, 'README.md'), '# hi\n');
    writeFileSync(join(project, 'node_modules', 'dep', 'index.js'), '');
    writeFileSync(join(project, 'skip.log'), '');
    symlinkSync('/etc/passwd', join(project, 'passwd-link'));
    mkdirSync(join(project, '.git', 'logs'), { recursive: true });
    writeFileSync(join(project, '.git', 'config'), '[remote "origin"]\n\turl = https://user:token@example.com/r.git\n');
    writeFileSync(join(project, '.git', 'logs', 'HEAD'), 'reflog');
    writeFileSync(join(project, '.git', 'HEAD'), 'ref: refs/heads/main\n');
    const res = await fetch(`${server.url}/api/file/archive?path=${encodeURIComponent(project)}&format=tar.gz&exclude=*.log`, { headers: { 'X-Session-API-Key': server.key as string } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/gzip');
    const body = Buffer.from(await res.arrayBuffer());
    expect(res.headers.get('content-length')).toBe(String(body.length));
    const tarball = join(server.dataDir, 'out.tar.gz');
    writeFileSync(tarball, body);
    const listing = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).split('\n').filter(Boolean).map((l) => l.replace(/\/$/, ''));
    expect(listing).toEqual(expect.arrayContaining(['project', 'project/src', 'project/src/main.ts', 'project/README.md']));
    expect(listing.some((l) => l.includes('node_modules') || l.includes('passwd-link') || l.endsWith('.log'))).toBe(false);
    expect(readdirSync(dir).filter((n) => n.startsWith('.archive-'))).toEqual([]);

    const full = await fetch(`${server.url}/api/file/archive?path=${encodeURIComponent(project)}&format=tar.gz&use_default_excludes=false`, { headers: { 'X-Session-API-Key': server.key as string } });
    writeFileSync(tarball, Buffer.from(await full.arrayBuffer()));
    const fullListing = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' });
    expect(fullListing).toContain('project/node_modules/dep/index.js');
    expect(fullListing).toContain('project/.git/HEAD');
    expect(fullListing).not.toContain('project/.git/config');
    expect(fullListing).not.toContain('project/.git/logs');

    expect((await call(server, 'GET', `/api/file/archive?path=${encodeURIComponent(join(dir, 'nope'))}&format=tar.gz`)).status).toBe(404);
    expect((await call(server, 'GET', `/api/file/archive?path=${encodeURIComponent(join(project, 'README.md'))}&format=tar.gz`)))
      .toMatchObject({ status: 400, body: { detail: 'Path is not a directory' } });
    expect((await call(server, 'GET', `/api/file/archive?path=${encodeURIComponent(project)}&format=zip`)).status).toBe(422);
  });

  it('archives a repository as a git-delta patch that applies to the base commit', async () => {
    const repo = join(dir, 'repo');
    mkdirSync(repo);
    git(repo, 'init', '-q');
    writeFileSync(join(repo, 'a.txt'), 'one\n');
    git(repo, 'add', '.');
    git(repo, 'commit', '-qm', 'first');
    const head = git(repo, 'rev-parse', 'HEAD').trim();
    writeFileSync(join(repo, 'a.txt'), 'one\ntwo\n');
    writeFileSync(join(repo, 'new.txt'), 'new\n');
    const res = await fetch(`${server.url}/api/file/archive?path=${encodeURIComponent(repo)}&format=git-delta&base_ref=HEAD`, { headers: { 'X-Session-API-Key': server.key as string } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/x-patch/);
    expect(res.headers.get('x-archive-head-commit')).toBe(head);
    expect(res.headers.get('x-archive-base-commit')).toBe(head);
    expect(res.headers.get('x-archive-branch')).toBe('main');
    const patch = await res.text();
    expect(patch).toContain('+two');
    expect(patch).toContain('new file mode');
    // The patch reproduces the working tree on a clean checkout of the base.
    const clone = join(dir, 'clone');
    execFileSync('git', ['clone', '-q', repo, clone]);
    writeFileSync(join(server.dataDir, 'delta.patch'), patch);
    git(clone, 'apply', join(server.dataDir, 'delta.patch'));
    expect(readFileSync(join(clone, 'a.txt'), 'utf8')).toBe('one\ntwo\n');
    expect(readFileSync(join(clone, 'new.txt'), 'utf8')).toBe('new\n');
    // The repository's own index is untouched.
    expect(git(repo, 'status', '--porcelain')).toBe(' M a.txt\n?? new.txt\n');

    const notRepo = await call<{ detail: string }>(server, 'GET', `/api/file/archive?path=${encodeURIComponent(join(dir, 'made'))}&format=git-delta`);
    expect(notRepo.status).toBe(400);
    expect(notRepo.body.detail).toMatch(/^Not a git repository/);
    expect((await call(server, 'GET', `/api/file/archive?path=${encodeURIComponent(repo)}&format=git-delta&base_ref=-rf`))).toMatchObject({ status: 400 });
    expect((await call(server, 'GET', `/api/file/archive?path=${encodeURIComponent(repo)}&format=git-delta&base_ref=nosuchref`)).status).toBe(400);
  });
});

describe('agent server: allowed file roots', () => {
  let server: TestServer;
  let root: string;
  beforeAll(async () => {
    // The root is created by the test before the server needs it; the server only reads the variable.
    const base = join((await import('node:os')).tmpdir(), `agent-server-roots-${randomBytes(4).toString('hex')}`);
    root = join(base, 'allowed');
    mkdirSync(root, { recursive: true });
    mkdirSync(join(base, 'outside'));
    symlinkSync(join(base, 'outside'), join(root, 'escape'));
    server = await startServer({ env: { AGENT_SERVER_FILE_ROOTS: JSON.stringify([root]) } });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('allows paths inside the roots and refuses others, including through .. and symlinks, with 403', async () => {
    expect((await upload(server, join(root, 'in', 'ok.txt'), form('ok'))).status).toBe(200);
    for (const path of [join(root, '..', 'outside', 'x.txt'), join(root, 'escape', 'x.txt'), '/etc/hostname', root + '-sibling/x']) {
      expect(await upload(server, path, form('no'))).toMatchObject({ status: 403, body: { detail: 'Path is outside the allowed roots' } });
      expect((await call(server, 'GET', `/api/file/download?path=${encodeURIComponent(path)}`)).status).toBe(403);
      expect((await call(server, 'GET', `/api/git/changes?path=${encodeURIComponent(path)}`)).status).toBe(403);
    }
    expect(existsSync(join(root, '..', 'outside', 'x.txt'))).toBe(false);
  });
});
