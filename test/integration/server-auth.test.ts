// Session-key authentication over HTTP and over the WebSocket, in its three styles: the header, the
// legacy query parameter (a wrong key is refused at the handshake with 403), and the first frame
// (a wrong key closes the socket with 4001; the right one is accepted and events flow).
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { WebSocket } from 'ws';
import { assertMatchesSchema } from '../support/openhands-schema.js';
import { type TestServer, call, startServer } from '../support/server.js';
import { nextEvent } from '../support/wait.js';

jest.setTimeout(60_000);

function wsUrl(server: TestServer, query = ''): string {
  return server.url.replace(/^http/, 'ws') + '/sockets/bash-events' + query;
}

/** Opens a socket; resolves once open, or rejects with the handshake's HTTP status. */
function open(url: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`handshake ${res.statusCode}`), { status: res.statusCode })));
    ws.once('error', reject);
  });
}

/** Resolves with the first message parsed as JSON whose kind is `kind` (and that passes `filter`). */
function nextMessage(ws: WebSocket, kind: string, filter: (m: Record<string, unknown>) => boolean = () => true): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const onMessage = (data: Buffer) => {
      const message = JSON.parse(data.toString()) as Record<string, unknown>;
      if (message.kind === kind && filter(message)) {
        ws.off('message', onMessage);
        resolve(message);
      }
    };
    ws.on('message', onMessage);
    ws.once('close', (code) => reject(new Error(`closed with ${code} before a ${kind}`)));
  });
}

/** Proves a socket is live: a command started over HTTP is seen as a BashCommand on it. */
async function seesCommands(server: TestServer, ws: WebSocket): Promise<void> {
  const marker = `marker-${Math.random().toString(16).slice(2)}`;
  const seen = nextMessage(ws, 'BashCommand', (m) => m.command === `echo ${marker}`);
  await call(server, 'POST', '/api/bash/start_bash_command', { json: { command: `echo ${marker}` } });
  const event = await seen;
  assertMatchesSchema('BashCommand', event);
}

describe('agent server: authentication', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('HTTP: /api routes need the X-Session-API-Key header; server routes do not', async () => {
    for (const key of [null, 'wrong-key', '']) {
      const res = await call(server, 'POST', '/api/bash/execute_bash_command', { key, json: { command: 'echo no' } });
      expect(res).toMatchObject({ status: 401, body: { detail: 'Unauthorized' } });
    }
    for (const path of ['/api/file/download?path=/etc/hostname', '/api/git/changes?path=/tmp', '/api/bash/bash_events/search', '/api/unknown']) {
      expect((await call(server, 'GET', path, { key: null })).status).toBe(401);
    }
    // The key in a query string is not an HTTP credential.
    expect((await call(server, 'GET', `/api/bash/bash_events/search?session_api_key=${server.key}`, { key: null })).status).toBe(401);
    const ok = await call(server, 'POST', '/api/bash/execute_bash_command', { json: { command: 'echo yes' } });
    expect(ok.status).toBe(200);
    assertMatchesSchema('BashOutput', ok.body);
    for (const path of ['/alive', '/health', '/ready', '/server_info', '/']) {
      expect((await call(server, 'GET', path, { key: null })).status).toBe(200);
    }
    // /metrics is behind the key (server-metrics.test.ts: the settings that move or open it).
    expect((await call(server, 'GET', '/metrics', { key: null })).status).toBe(401);
  });

  it('WS header: the right key is accepted, a wrong one refused with 403', async () => {
    const ws = await open(wsUrl(server), { 'X-Session-API-Key': server.key as string });
    try {
      await seesCommands(server, ws);
    } finally {
      ws.close();
    }
    await expect(open(wsUrl(server), { 'X-Session-API-Key': 'wrong' })).rejects.toMatchObject({ status: 403 });
  });

  it('WS query (legacy): the right key is accepted, a wrong one refused at the handshake with 403', async () => {
    const ws = await open(wsUrl(server, `?session_api_key=${server.key}`));
    try {
      await seesCommands(server, ws);
    } finally {
      ws.close();
    }
    await expect(open(wsUrl(server, '?session_api_key=wrong'))).rejects.toMatchObject({ status: 403 });
  });

  it('WS first frame: the right key is accepted and events flow; a redundant auth frame is ignored', async () => {
    const ws = await open(wsUrl(server));
    try {
      ws.send(JSON.stringify({ type: 'auth', session_api_key: server.key }));
      ws.send(JSON.stringify({ type: 'auth', session_api_key: server.key }));
      await seesCommands(server, ws);
    } finally {
      ws.close();
    }
  });

  it('WS first frame: a wrong key, a wrong type or bad JSON closes with 4001', async () => {
    for (const frame of [
      JSON.stringify({ type: 'auth', session_api_key: 'wrong' }),
      JSON.stringify({ type: 'hello', session_api_key: server.key }),
      JSON.stringify({ command: 'echo sneaky' }),
      '{not json',
    ]) {
      const ws = await open(wsUrl(server));
      const closed = nextEvent<[number, Buffer]>(ws, 'close');
      ws.send(frame);
      const [code, reason] = await closed;
      expect(code).toBe(4001);
      expect(reason.toString()).toBe('Authentication failed');
    }
    // The command in the unauthenticated frame never ran.
    const search = await call<{ items: { kind: string; command?: string }[] }>(server, 'GET', '/api/bash/bash_events/search?kind__eq=BashCommand');
    expect(search.body.items.some((e) => e.command === 'echo sneaky')).toBe(false);
  });

  it('WS: unknown socket paths get 404 at the handshake', async () => {
    await expect(open(server.url.replace(/^http/, 'ws') + '/sockets/nope')).rejects.toMatchObject({ status: 404 });
  });
});

describe('agent server: no keys configured', () => {
  it('accepts sockets at once and ignores auth frames', async () => {
    const server = await startServer({ key: null });
    try {
      const ws = await open(wsUrl(server));
      ws.send(JSON.stringify({ type: 'auth', session_api_key: 'anything' }));
      await seesCommands(server, ws);
      ws.close();
    } finally {
      await server.stop();
    }
  });
});
