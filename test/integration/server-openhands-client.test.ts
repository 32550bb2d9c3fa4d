// The official OpenHands TypeScript client (@openhands/typescript-client), unchanged, against our real
// server: RemoteWorkspace's executeCommand, fileUpload, fileDownload, gitChanges and gitDiff; its
// BashClient; and its BashWebSocketClient, which in a Node ES module needs `window.WebSocket`
// (see architecture.md), so the shim is installed before the package is loaded.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { WebSocket } from 'ws';
import { git } from '../support/git.js';
import { assertMatchesSchema } from '../support/openhands-schema.js';
import { type TestServer, startServer } from '../support/server.js';
import { waitFor } from '../support/wait.js';

jest.setTimeout(60_000);

(globalThis as { window?: unknown }).window = { WebSocket };
const client = await import('@openhands/typescript-client');

describe('official @openhands/typescript-client against our server', () => {
  let server: TestServer;
  let workspace: InstanceType<typeof client.RemoteWorkspace>;
  beforeAll(async () => {
    server = await startServer();
    workspace = new client.RemoteWorkspace({ host: server.url, apiKey: server.key, workingDir: server.dataDir });
  });
  afterAll(async () => {
    workspace?.close();
    await server?.stop();
  });

  it('RemoteWorkspace.executeCommand runs commands with output, exit code and cwd', async () => {
    const ok = await workspace.executeCommand('echo hello; echo oops >&2', server.dataDir, 30);
    expect(ok).toMatchObject({ exit_code: 0, stdout: 'hello\n', stderr: 'oops\n', timeout_occurred: false });
    const failing = await workspace.executeCommand('pwd; exit 7', server.dataDir);
    expect(failing.exit_code).toBe(7);
    expect(failing.stdout).toBe(`${server.dataDir}\n`);
    const slow = await workspace.executeCommand('sleep 30', undefined, 1);
    expect(slow.exit_code).toBe(-1);
  });

  it('RemoteWorkspace.fileUpload and fileDownload round-trip text and binary content', async () => {
    const target = join(server.dataDir, 'client', 'nested', 'note.txt');
    const up = await workspace.fileUpload('hello from the official client\n', target);
    expect(up).toMatchObject({ success: true, destination_path: target });
    expect(readFileSync(target, 'utf8')).toBe('hello from the official client\n');
    const down = await workspace.fileDownload(target);
    expect(down).toMatchObject({ success: true, content: 'hello from the official client\n', file_size: 31 });
    expect(await workspace.downloadAsText(target)).toBe('hello from the official client\n');

    const blobTarget = join(server.dataDir, 'client', 'blob.bin');
    const bytes = new Uint8Array([0, 1, 2, 250, 251, 252]);
    expect((await workspace.fileUpload(new Blob([bytes]), blobTarget)).success).toBe(true);
    expect([...readFileSync(blobTarget)]).toEqual([...bytes]);

    await expect(workspace.fileDownload(join(server.dataDir, 'client', 'missing.txt'))).rejects.toMatchObject({ status: 404, response: { detail: 'File not found' } });
    await expect(workspace.fileUpload('x', 'relative/path.txt')).rejects.toMatchObject({ status: 400, response: { detail: 'Path must be absolute' } });
  });

  it('RemoteWorkspace.gitChanges and gitDiff report a repository\'s changes', async () => {
    const repo = join(server.dataDir, 'repo');
    mkdirSync(repo);
    git(repo, 'init', '-q');
    writeFileSync(join(repo, 'file.txt'), 'before\n');
    git(repo, 'add', '.');
    git(repo, 'commit', '-qm', 'init');
    writeFileSync(join(repo, 'file.txt'), 'before\nafter\n');
    writeFileSync(join(repo, 'added.txt'), 'added\n');

    const changes = await workspace.gitChanges(repo);
    for (const change of changes) assertMatchesSchema('GitChange', change);
    expect(changes).toEqual([{ status: 'ADDED', path: 'added.txt' }, { status: 'UPDATED', path: 'file.txt' }]);
    expect(await workspace.gitChanges(repo, { ref: 'HEAD' })).toHaveLength(2);

    const diff = await workspace.gitDiff(join(repo, 'file.txt'));
    assertMatchesSchema('GitDiff', diff);
    expect(diff).toEqual({ original: 'before', modified: 'before\nafter' });
  });

  it('RemoteWorkspace.bash (BashClient) starts commands and reads, batch-reads, searches and clears their events', async () => {
    const bash = workspace.bash;
    const command = await bash.startCommand('echo via-bash-client');
    assertMatchesSchema('BashCommand', command);
    const outputs = await waitFor(async () => {
      const page = await bash.searchEvents({ command_id__eq: command.id, kind__eq: 'BashOutput' });
      assertMatchesSchema('BashEventPage', page);
      return page.items.some((e) => (e as { exit_code?: number | null }).exit_code != null) && page.items;
    }, 'the command output');
    expect(outputs.map((e) => (e as { stdout?: string }).stdout).join('')).toBe('via-bash-client\n');
    const event = await bash.getEvent(command.id);
    assertMatchesSchema('BashEventBase', event);
    const batch = await bash.batchGetEvents([command.id, 'missing']);
    expect(batch[1]).toBeNull();
    assertMatchesSchema('BashEventBase', batch[0]);
    const executed = await bash.executeCommand('echo executed');
    assertMatchesSchema('BashOutput', executed);
    expect(executed.stdout).toBe('executed\n');
    const cleared = await bash.clearEvents();
    expect(cleared.cleared_count).toBeGreaterThan(0);
  });

  it('BashWebSocketClient (query-parameter auth) streams bash events, with the window.WebSocket shim', async () => {
    const received: { kind: string; stdout?: string | null; command?: string }[] = [];
    const errors: Error[] = [];
    const socket = new client.BashWebSocketClient({
      host: server.url, apiKey: server.key, callback: (e) => received.push(e as never), onError: (e) => errors.push(e),
    });
    socket.start();
    try {
      await waitFor(() => server.logs().includes('"auth":"accept"'), 'the socket to connect');
      await workspace.executeCommand('echo over-the-socket');
      await waitFor(() => received.some((e) => e.stdout === 'over-the-socket\n'), 'the streamed output');
      expect(received.some((e) => e.kind === 'BashCommand' && e.command === 'echo over-the-socket')).toBe(true);
      for (const e of received) assertMatchesSchema('BashEventBase', e);
      expect(errors).toEqual([]);
    } finally {
      socket.stop();
    }
  });
});
