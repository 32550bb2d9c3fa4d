// /api/bash and WS /sockets/bash-events against the real server: commands, timeouts that kill the whole
// process group, output chunking and its bounds, stored events and their search/paging/filters,
// streaming while a command runs, and commands started over the socket.
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { WebSocket } from 'ws';
import { assertMatchesSchema } from '../support/openhands-schema.js';
import { pidAlive } from '../support/processes.js';
import { type TestServer, call, getWithBody, startServer } from '../support/server.js';
import { waitFor } from '../support/wait.js';

jest.setTimeout(60_000);

interface BashOutput { kind: 'BashOutput'; id: string; command_id: string; order: number; exit_code: number | null; stdout: string | null; stderr: string | null; timestamp: string }
interface BashCommand { kind: 'BashCommand'; id: string; command: string; cwd: string | null; timeout: number; timestamp: string }
type BashEvent = BashOutput | BashCommand;
interface Page { items: BashEvent[]; next_page_id: string | null }

const CHUNK = 1024;
const MAX_OUTPUT = 200 * CHUNK;

async function search(server: TestServer, query: string): Promise<Page> {
  const res = await call<Page>(server, 'GET', `/api/bash/bash_events/search?${query}`);
  expect(res.status).toBe(200);
  assertMatchesSchema('BashEventPage', res.body);
  return res.body;
}

/** Every event of one command, following the pages. */
async function outputsOf(server: TestServer, commandId: string): Promise<BashOutput[]> {
  const all: BashOutput[] = [];
  let pageId: string | null = null;
  do {
    const page: Page = await search(server, `command_id__eq=${commandId}&limit=100${pageId ? `&page_id=${pageId}` : ''}`);
    all.push(...(page.items as BashOutput[]));
    pageId = page.next_page_id;
  } while (pageId);
  return all;
}

describe('agent server: bash', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ env: { AGENT_SERVER_BASH_CHUNK_BYTES: String(CHUNK), AGENT_SERVER_BASH_MAX_OUTPUT_BYTES: String(MAX_OUTPUT), AGENT_SERVER_BASH_KILL_GRACE_MS: '300' } });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('executes a command and returns its last output with the exit code', async () => {
    const res = await call<BashOutput>(server, 'POST', '/api/bash/execute_bash_command', {
      json: { command: 'echo out; echo err >&2; cd "$0" 2>/dev/null; pwd; exit 3', cwd: server.dataDir, timeout: 30, ignored_field: true },
    });
    expect(res.status).toBe(200);
    assertMatchesSchema('BashOutput', res.body);
    expect(res.body).toMatchObject({ kind: 'BashOutput', exit_code: 3, stdout: `out\n${server.dataDir}\n`, stderr: 'err\n' });
    expect(res.body.id).toMatch(/^[0-9a-f]{32}$/);
    expect(res.body.command_id).toMatch(/^[0-9a-f]{32}$/);
    expect(res.body.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  });

  it('starts a command, returns the BashCommand at once, and stores its events as files named as the protocol says', async () => {
    const res = await call<BashCommand>(server, 'POST', '/api/bash/start_bash_command', { json: { command: 'echo started' } });
    expect(res.status).toBe(200);
    assertMatchesSchema('BashCommand', res.body);
    expect(res.body).toMatchObject({ kind: 'BashCommand', command: 'echo started', cwd: null, timeout: 300 });
    const outputs = await waitFor(async () => {
      const o = await outputsOf(server, res.body.id);
      return o.some((e) => e.exit_code !== null) && o;
    }, 'the command to finish');
    expect(outputs.map((o) => o.stdout).join('')).toBe('started\n');
    const files = readdirSync(join(server.dataDir, 'bash_events'));
    expect(files).toContain(files.find((f) => f.endsWith(`_BashCommand_${res.body.id}`)));
    expect(files.find((f) => f.endsWith(`_BashCommand_${res.body.id}`))).toMatch(/^\d{20}_BashCommand_[0-9a-f]{32}$/);
    for (const o of outputs) expect(files).toContain(files.find((f) => new RegExp(`^\\d{20}_BashOutput_${res.body.id}_${o.id}$`).test(f)));
    // get by id, and batch get with nulls for unknown ids
    const one = await call(server, 'GET', `/api/bash/bash_events/${res.body.id}`);
    expect(one.status).toBe(200);
    assertMatchesSchema('BashEventBase', one.body);
    expect(one.body).toEqual(res.body);
    expect((await call(server, 'GET', '/api/bash/bash_events/0000000000000000000000000000dead')).status).toBe(404);
    const batch = await getWithBody(server, '/api/bash/bash_events/', [res.body.id, 'nope', outputs[0]!.id]);
    expect(batch.status).toBe(200);
    const [first, missing, third] = batch.body as unknown[];
    assertMatchesSchema('BashEventBase', first);
    assertMatchesSchema('BashEventBase', third);
    expect(missing).toBeNull();
    expect((await getWithBody(server, '/api/bash/bash_events/', { not: 'a list' })).status).toBe(422);
  });

  it('on timeout sends SIGTERM then SIGKILL to the whole process group and reports exit_code -1', async () => {
    const pidFile = join(server.dataDir, 'bg.pid');
    const res = await call<BashOutput>(server, 'POST', '/api/bash/execute_bash_command', {
      // The background child ignores SIGTERM, so only the group SIGKILL can end it.
      json: { command: `(trap '' TERM; sleep 600) & echo $! > ${pidFile}; echo before; wait`, timeout: 1 },
    });
    expect(res.status).toBe(200);
    assertMatchesSchema('BashOutput', res.body);
    expect(res.body.exit_code).toBe(-1);
    expect(res.body.stdout).toBe('before\n');
    expect(res.body.stderr).toContain('Command timed out after 1 seconds');
    const pid = Number((await import('node:fs')).readFileSync(pidFile, 'utf8'));
    await waitFor(() => !pidAlive(pid), 'the background process to be killed');
  });

  it('splits output into chunks of at most the chunk size, in order, the last carrying the exit code', async () => {
    const res = await call<BashCommand>(server, 'POST', '/api/bash/start_bash_command', {
      // 5000 bytes of stdout with multi-byte characters, so chunk cuts must respect UTF-8 boundaries.
      json: { command: `for i in $(seq 1 500); do printf 'é%07d\\n' $i; done` },
    });
    const outputs = await waitFor(async () => {
      const o = await outputsOf(server, res.body.id);
      return o.some((e) => e.exit_code !== null) && o;
    }, 'the command to finish');
    expect(outputs.length).toBeGreaterThan(4);
    expect(outputs.map((o) => o.order)).toEqual(outputs.map((_, i) => i));
    for (const o of outputs) expect(Buffer.byteLength(o.stdout ?? '')).toBeLessThanOrEqual(CHUNK);
    expect(outputs.slice(0, -1).every((o) => o.exit_code === null)).toBe(true);
    expect(outputs.at(-1)!.exit_code).toBe(0);
    const text = outputs.map((o) => o.stdout ?? '').join('');
    expect(text).not.toContain('\ufffd');
    expect(text.split('\n').filter(Boolean)).toHaveLength(500);
    expect(text.startsWith('é0000001\n')).toBe(true);
  });

  it('kills a command whose output exceeds the per-command limit, keeping only the limit', async () => {
    const res = await call<BashOutput>(server, 'POST', '/api/bash/execute_bash_command', { json: { command: 'yes', timeout: 60 } });
    expect(res.status).toBe(200);
    expect(res.body.exit_code).toBe(-1);
    expect(res.body.stderr).toContain(`Command output exceeded ${MAX_OUTPUT} bytes`);
    const outputs = await outputsOf(server, res.body.command_id);
    const kept = outputs.reduce((n, o) => n + Buffer.byteLength(o.stdout ?? ''), 0);
    expect(kept).toBe(MAX_OUTPUT);
  });

  it('ends a timed-out command even when a process that left its group keeps the output pipe open', async () => {
    const pidFile = join(server.dataDir, 'escaped.pid');
    const res = await call<BashOutput>(server, 'POST', '/api/bash/execute_bash_command', {
      json: { command: `setsid sh -c 'echo $$ > ${pidFile}; exec sleep 600'; echo after`, timeout: 1 },
    });
    expect(res.body.exit_code).toBe(-1);
    expect(res.body.stderr).toContain('timed out');
    const { readFileSync } = await import('node:fs');
    process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGKILL'); // the test's own leftover
  });

  it('reports a command killed by a signal with minus the signal number, as the Python server does', async () => {
    const res = await call<BashOutput>(server, 'POST', '/api/bash/execute_bash_command', { json: { command: 'echo dying; kill -9 $$' } });
    expect(res.body).toMatchObject({ exit_code: -9, stdout: 'dying\n' });
  });

  it('reports a missing cwd as an error output', async () => {
    const res = await call<BashOutput>(server, 'POST', '/api/bash/execute_bash_command', { json: { command: 'true', cwd: '/no/such/dir' } });
    expect(res.body).toMatchObject({ exit_code: -1, stdout: null });
    expect(res.body.stderr).toContain('cwd does not exist: /no/such/dir');
  });

  it('searches with inclusive paging, kind/command/order/time filters and both sort orders', async () => {
    const cmd = await call<BashCommand>(server, 'POST', '/api/bash/start_bash_command', { json: { command: `printf 'x%.0s' $(seq 1 ${3 * CHUNK})` } });
    const all = await waitFor(async () => {
      const o = await outputsOf(server, cmd.body.id);
      return o.some((e) => e.exit_code !== null) && o;
    }, 'the command to finish');
    expect(all.length).toBeGreaterThanOrEqual(3);

    const page1 = await search(server, `command_id__eq=${cmd.body.id}&limit=2`);
    expect(page1.items.map((e) => e.id)).toEqual(all.slice(0, 2).map((e) => e.id));
    expect(page1.next_page_id).toMatch(new RegExp(`^\\d{20}_BashOutput_${cmd.body.id}_${all[2]!.id}$`));
    const page2 = await search(server, `command_id__eq=${cmd.body.id}&limit=2&page_id=${page1.next_page_id}`);
    expect(page2.items[0]!.id).toBe(all[2]!.id); // the cursor is inclusive
    const unknownCursor = await search(server, `command_id__eq=${cmd.body.id}&limit=2&page_id=nonsense`);
    expect(unknownCursor.items.map((e) => e.id)).toEqual(page1.items.map((e) => e.id));

    const desc = await search(server, `command_id__eq=${cmd.body.id}&sort_order=TIMESTAMP_DESC`);
    expect(desc.items.map((e) => e.id)).toEqual([...all].reverse().map((e) => e.id));
    const dashed = cmd.body.id.replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5');
    expect((await search(server, `command_id__eq=${dashed}`)).items).toHaveLength(all.length);
    const later = await search(server, `command_id__eq=${cmd.body.id}&order__gt=0`);
    expect(later.items.map((e) => (e as BashOutput).order)).toEqual(all.slice(1).map((e) => e.order));

    const commands = await search(server, 'kind__eq=BashCommand&limit=100');
    expect(commands.items.every((e) => e.kind === 'BashCommand')).toBe(true);
    expect(commands.items.some((e) => e.id === cmd.body.id)).toBe(true);

    const from = all[1]!.timestamp;
    const windowed = await search(server, `command_id__eq=${cmd.body.id}&timestamp__gte=${encodeURIComponent(from)}&timestamp__lt=${encodeURIComponent(all.at(-1)!.timestamp)}`);
    expect(windowed.items.map((e) => e.id)).toEqual(all.slice(1, -1).map((e) => e.id));

    for (const bad of ['command_id__eq=not-a-uuid', 'kind__eq=BashError', 'limit=101', 'order__gt=x', 'timestamp__gte=yesterday']) {
      const res = await call(server, 'GET', `/api/bash/bash_events/search?${bad}`);
      expect(res.status).toBe(422);
      assertMatchesSchema('HttpValidationError', res.body);
    }
  });

  it('lets a poller page through more than 100 chunks with order__gt and no cursor, as the Python client polls', async () => {
    const cmd = await call<BashCommand>(server, 'POST', '/api/bash/start_bash_command', { json: { command: `head -c ${150 * CHUNK} /dev/zero | tr '\\0' y` } });
    let lastOrder = -1;
    let text = '';
    let exitCode: number | null = null;
    await waitFor(async () => {
      const page = await search(server, `command_id__eq=${cmd.body.id}&kind__eq=BashOutput&sort_order=TIMESTAMP&limit=100${lastOrder >= 0 ? `&order__gt=${lastOrder}` : ''}`);
      for (const e of page.items as BashOutput[]) {
        expect(e.order).toBeGreaterThan(lastOrder);
        lastOrder = e.order;
        text += e.stdout ?? '';
        if (e.exit_code !== null) exitCode = e.exit_code;
      }
      return exitCode !== null;
    }, 'the poller to see the exit code');
    expect(exitCode).toBe(0);
    expect(lastOrder).toBeGreaterThanOrEqual(149);
    expect(text).toBe('y'.repeat(150 * CHUNK));
  });

  it('persists one BashOutput for a command whose output fits a chunk, however long it runs (as OpenHands)', async () => {
    const cmd = await call<BashCommand>(server, 'POST', '/api/bash/start_bash_command', { json: { command: 'echo early; sleep 0.5; echo late' } });
    const outputs = await waitFor(async () => {
      const o = (await search(server, `command_id__eq=${cmd.body.id}&kind__eq=BashOutput`)).items as BashOutput[];
      return o.some((e) => e.exit_code !== null) && o;
    }, 'the command output');
    expect(outputs).toEqual([expect.objectContaining({ order: 0, stdout: 'early\nlate\n', exit_code: 0 })]);
  });

  it('with AGENT_SERVER_BASH_FLUSH_MS, streams a running command\'s output over the socket, replays history with resend_mode=all, and runs frames as commands', async () => {
    const flushing = await startServer({ env: { AGENT_SERVER_BASH_FLUSH_MS: '200' } });
    try {
      await streamsOverTheSocket(flushing);
    } finally {
      await flushing.stop();
    }
  });

  async function streamsOverTheSocket(server: TestServer): Promise<void> {
    const url = server.url.replace(/^http/, 'ws') + '/sockets/bash-events';
    const ws = new WebSocket(url, { headers: { 'X-Session-API-Key': server.key as string } });
    const received: Record<string, unknown>[] = [];
    ws.on('message', (d) => received.push(JSON.parse(d.toString())));
    await new Promise((resolve) => ws.once('open', resolve));
    const flag = join(server.dataDir, 'go-stream');
    const started = await call<BashCommand>(server, 'POST', '/api/bash/start_bash_command', {
      json: { command: `echo first; while [ ! -f ${flag} ]; do sleep 0.05; done; echo second` },
    });
    const mine = () => received.filter((e) => e.command_id === started.body.id) as unknown as BashOutput[];
    // The first line arrives while the command is still blocked, before it can exit.
    await waitFor(() => mine().some((e) => e.stdout === 'first\n'), 'output of the running command');
    expect(mine().every((e) => e.exit_code === null)).toBe(true);
    writeFileSync(flag, '');
    await waitFor(() => mine().some((e) => e.exit_code === 0), 'the final chunk');
    expect(mine().map((e) => e.stdout).join('')).toBe('first\nsecond\n');
    for (const e of received) assertMatchesSchema('BashEventBase', e);

    // A frame that is an ExecuteBashRequest starts a command; a bad one gets a BashError.
    ws.send(JSON.stringify({ command: 'echo from-socket' }));
    await waitFor(() => received.some((e) => e.kind === 'BashOutput' && e.stdout === 'from-socket\n'), 'the socket command output');
    ws.send(JSON.stringify({ command: 7 }));
    ws.send('not json');
    await waitFor(() => received.filter((e) => e.kind === 'BashError').length === 2, 'two BashErrors');
    for (const e of received.filter((m) => m.kind === 'BashError')) assertMatchesSchema('BashError', e);
    expect(ws.readyState).toBe(WebSocket.OPEN);
    ws.close();

    const replay = new WebSocket(url + '?resend_mode=all', { headers: { 'X-Session-API-Key': server.key as string } });
    const replayed: Record<string, unknown>[] = [];
    replay.on('message', (d) => replayed.push(JSON.parse(d.toString())));
    const stored = await search(server, 'limit=100');
    await waitFor(() => replayed.length >= stored.items.length, 'the replay');
    expect(replayed.slice(0, stored.items.length).map((e) => e.id)).toEqual(stored.items.map((e) => e.id));
    replay.close();
  }

  it('closes a bash socket beyond the 50th with 1013, and rejects an unknown resend_mode with 1008', async () => {
    const url = server.url.replace(/^http/, 'ws') + '/sockets/bash-events';
    const headers = { 'X-Session-API-Key': server.key as string };
    const opened: WebSocket[] = [];
    const gauge = async () => /agent_server_websocket_connections\{route="bash-events"\} (\d+)/.exec((await call<string>(server, 'GET', '/metrics')).body)?.[1] ?? '0';
    await waitFor(async () => (await gauge()) === '0', 'earlier sockets to close');
    try {
      for (let i = 0; i < 50; i++) {
        const ws = new WebSocket(url, { headers });
        await new Promise((resolve) => ws.once('open', resolve));
        opened.push(ws);
      }
      await waitFor(async () => (await gauge()) === '50', 'fifty sockets');
      const extra = new WebSocket(url, { headers });
      const code = await new Promise<number>((resolve) => extra.once('close', (c) => resolve(c)));
      expect(code).toBe(1013);
    } finally {
      for (const ws of opened) ws.close();
    }
    const bad = new WebSocket(url + '?resend_mode=since', { headers });
    expect(await new Promise<number>((resolve) => bad.once('close', (c) => resolve(c)))).toBe(1008);
  });

  it('clears all events', async () => {
    const before = (await search(server, 'limit=100')).items.length;
    const res = await call<{ cleared_count: number }>(server, 'DELETE', '/api/bash/bash_events');
    expect(res.status).toBe(200);
    expect(Object.keys(res.body)).toEqual(['cleared_count']);
    expect(res.body.cleared_count).toBeGreaterThanOrEqual(before);
    expect((await search(server, 'limit=100')).items).toHaveLength(0);
    expect(existsSync(join(server.dataDir, 'bash_events'))).toBe(true);
  });
});
