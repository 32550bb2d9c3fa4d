// Deferred init (OH_DEFERRED_INIT, OpenHands' warm-pool mode): the real server starts dormant, answers 503 on
// /api and refuses sockets until POST /api/init delivers the user's keys, paths and environment, then serves
// with them on the same port. test/parity/official-side-by-side.test.ts runs the same calls against the
// official server.
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { WebSocket } from 'ws';
import { type TestServer, call, startServer } from '../support/server.js';
import { waitFor } from '../support/wait.js';

jest.setTimeout(60_000);

const INIT_KEY = 'init-key-for-the-pool';
const USER_KEY = 'the-users-session-key';

/** The status of a WebSocket handshake: 101 when it opens, else the HTTP status it was refused with. */
function handshake(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.on('open', () => {
      ws.close();
      resolve(101);
    });
    ws.on('unexpected-response', (_req, res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.on('error', (err) => {
      if (!/Unexpected server response/.test(err.message)) reject(err);
    });
  });
}

describe('deferred init: dormant until POST /api/init', () => {
  let server: TestServer;
  let userDir: string;
  // The server's own temporary directory, to see what the dormant server's rehearsal of its init leaves there.
  const serverTmp = mkdtempSync(join(tmpdir(), 'aw-deferred-tmp-'));
  beforeAll(async () => {
    server = await startServer({ key: null, env: { OH_DEFERRED_INIT: '1', OH_SECRET_KEY: INIT_KEY, TMPDIR: serverTmp, LOG_LEVEL: 'debug' } });
    userDir = join(server.dataDir, 'user');
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('while dormant: /health, /ready and /server_info answer, every /api route is 503, sockets are refused', async () => {
    expect((await call(server, 'GET', '/health')).status).toBe(200);
    expect((await call(server, 'GET', '/server_info')).status).toBe(200);
    expect(await call(server, 'GET', '/ready')).toMatchObject({ status: 200, body: { status: 'ready' } }); // as OpenHands
    expect(await call(server, 'GET', '/api/init')).toMatchObject({ status: 200, body: { state: 'dormant', error: null } });
    const gated = "server is in deferred-init state 'dormant'; call POST /api/init first";
    for (const [method, path] of [['GET', '/api/bash/bash_events/search'], ['POST', '/api/conversations'], ['GET', '/api/nowhere']] as const) {
      expect(await call(server, method, path, { key: 'anything' }))
        .toEqual(expect.objectContaining({ status: 503, body: { detail: 'Internal Server Error', exception: `503: ${gated}` } }));
    }
    expect(await handshake(`${server.url.replace('http', 'ws')}/sockets/bash-events`)).toBe(403);
  });

  it('rehearses its init path once while dormant (a throwaway server, one request), leaving no directory and no state behind', async () => {
    await waitFor(() => server.logs().includes('dormant: the init path rehearsed'), 'the rehearsal to end');
    expect(server.logs()).not.toContain('rehearsing the init path failed');
    expect(readdirSync(serverTmp).filter((name) => name.startsWith('agent-server-rehearsal-'))).toEqual([]);
    expect(await call(server, 'GET', '/api/init')).toMatchObject({ status: 200, body: { state: 'dormant', error: null } });
    expect((await call(server, 'GET', '/api/conversations/search', { key: 'anything' })).status).toBe(503);
  });

  it('refuses an init without the init key (401) or with a malformed body (422)', async () => {
    expect(await call(server, 'POST', '/api/init', { json: {} })).toMatchObject({ status: 401, body: { detail: 'Unauthorized' } });
    const headers = { 'X-Init-API-Key': INIT_KEY };
    const bad = await call<{ detail: { loc: unknown[]; type: string }[] }>(server, 'POST', '/api/init', { headers, json: { session_api_keys: 'one', surprise: 1 } });
    expect(bad.status).toBe(422);
    expect(bad.body.detail.map((d) => [d.loc, d.type])).toEqual([[['body', 'session_api_keys'], 'list_type'], [['body', 'surprise'], 'extra_forbidden']]);
    expect(await call(server, 'POST', '/api/init', { headers, json: { session_api_keys: [''] } }))
      .toMatchObject({ status: 422, body: { detail: 'session_api_keys cannot contain empty keys' } });
    expect((await call(server, 'GET', '/api/init')).body).toMatchObject({ state: 'dormant' });
  });

  it('initializes with the delivered keys, paths and environment, then serves them on the same port; a second init is 400', async () => {
    const init = await call(server, 'POST', '/api/init', {
      headers: { 'X-Init-API-Key': INIT_KEY },
      json: {
        session_api_keys: [USER_KEY], conversations_path: join(userDir, 'conversations'), bash_events_dir: join(userDir, 'bash_events'),
        env: { POOL_USER_TOKEN: 'delivered-at-init' }, max_concurrent_runs: 2,
      },
    });
    expect(init).toMatchObject({ status: 200, body: { state: 'ready', error: null } });
    const user = { ...server, key: USER_KEY };
    expect((await call(server, 'GET', '/api/bash/bash_events/search', { key: null })).status).toBe(401);
    const ran = await call<{ stdout: string; exit_code: number }>(user, 'POST', '/api/bash/execute_bash_command', { json: { command: 'echo $POOL_USER_TOKEN' } });
    expect(ran.body).toMatchObject({ stdout: 'delivered-at-init\n', exit_code: 0 });
    expect(readdirSync(join(userDir, 'bash_events')).length).toBeGreaterThan(0);
    expect(existsSync(join(server.dataDir, 'bash_events'))).toBe(false);
    const created = await call<{ id: string }>(user, 'POST', '/api/conversations', {
      json: { agent: { kind: 'Agent', llm: { model: 'openai/unused', api_key: 'sk-x' }, tools: [] }, workspace: { kind: 'LocalWorkspace', working_dir: userDir } },
    });
    expect(created.status).toBe(201);
    expect(readdirSync(join(userDir, 'conversations'))).toEqual([created.body.id.replaceAll('-', '')]);
    expect(await handshake(`${server.url.replace('http', 'ws')}/sockets/bash-events`, { 'X-Session-API-Key': USER_KEY })).toBe(101);

    expect(await call(server, 'GET', '/api/init')).toMatchObject({ status: 200, body: { state: 'ready' } });
    expect(await call(server, 'POST', '/api/init', { headers: { 'X-Init-API-Key': INIT_KEY }, json: {} }))
      .toMatchObject({ status: 400, body: { detail: 'server already in state: ready' } });
    await waitFor(() => server.logs().includes('"msg":"agent server initialized"'), 'the initialized log line');
  });
});

describe('deferred init off (the default)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('answers /api/init with 404, as OpenHands does without deferred_init', async () => {
    const detail = 'server is not running with deferred_init=True; the /api/init endpoint is not available';
    expect(await call(server, 'GET', '/api/init', { key: null })).toMatchObject({ status: 404, body: { detail } });
    expect(await call(server, 'POST', '/api/init', { key: null, json: {} })).toMatchObject({ status: 404, body: { detail } });
  });
});
