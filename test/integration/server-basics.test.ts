// The real agent server process: server routes, the error shapes for bad input of every kind (and that
// it keeps serving afterwards), metrics, request ids, configuration errors, keys kept out of logs,
// and graceful shutdown.
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { assertMatchesSchema } from '../support/openhands-schema.js';
import { type TestServer, call, runServerToExit, startServer } from '../support/server.js';
import { waitFor } from '../support/wait.js';

jest.setTimeout(60_000);

/** OpenHands 1.58.2's ServerInfo fields (the parity tier checks the values with the official model). */
const SERVER_INFO_FIELDS = [
  'uptime', 'idle_time', 'title', 'version', 'sdk_version', 'tools_version', 'workspace_version', 'build_git_sha',
  'build_git_ref', 'python_version', 'usable_tools', 'runtime_idle_timeout_seconds', 'conversation_runtime',
  'available_conversation_runtimes', 'capabilities', 'app_backend_ingress_url', 'max_foreground_terminal_timeout_seconds', 'docs', 'redoc',
];

/** Sends raw bytes and returns the raw HTTP response text. */
function raw(url: string, bytes: string | Buffer): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.end(bytes));
    let text = '';
    socket.on('data', (d) => (text += d.toString()));
    socket.on('close', () => resolve(text));
    socket.on('error', reject);
  });
}

describe('agent server: server routes and bad input', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ env: { AGENT_SERVER_MAX_JSON_BYTES: '4096', AGENT_SERVER_MAX_HEADER_BYTES: '8192', OH_RUNTIME_IDLE_TIMEOUT_SECONDS: '600', OH_ALLOW_CORS_ORIGINS_0: 'https://app.example.com' } });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('answers /alive, /health and /ready without a key', async () => {
    for (const path of ['/alive', '/health']) {
      const res = await call(server, 'GET', path, { key: null });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ status: 'ok' });
    }
    const ready = await call(server, 'GET', '/ready', { key: null });
    expect(ready).toMatchObject({ status: 200, body: { status: 'ready' } });
  });

  it('serves every ServerInfo field at /server_info and at /', async () => {
    for (const path of ['/server_info', '/']) {
      const res = await call<Record<string, unknown>>(server, 'GET', path, { key: null });
      expect(res.status).toBe(200);
      assertMatchesSchema('ServerInfo', res.body);
      expect(Object.keys(res.body).sort()).toEqual([...SERVER_INFO_FIELDS].sort());
      expect(res.body).toMatchObject({ version: '1.58.2', capabilities: ['conversation_runtime_routes_v1', 'idempotent_conversation_create_v1'] });
      expect(res.body.runtime_idle_timeout_seconds).toBe(600);
      expect(res.body.max_foreground_terminal_timeout_seconds).toBe(540);
      expect(typeof res.body.uptime).toBe('number');
    }
  });

  it('answers unknown routes with 404 and wrong methods with 405, in the protocol error shape', async () => {
    const missing = await call(server, 'GET', '/api/nothing/here');
    expect(missing).toMatchObject({ status: 404, body: { detail: 'Not Found' } });
    const root = await call(server, 'GET', '/no-such-page', { key: null });
    expect(root).toMatchObject({ status: 404, body: { detail: 'Not Found' } });
    const wrong = await call(server, 'DELETE', '/api/bash/execute_bash_command');
    expect(wrong).toMatchObject({ status: 405, body: { detail: 'Method Not Allowed' } });
    expect(wrong.headers.get('allow')).toBe('POST');
    const put = await call(server, 'PUT', '/server_info', { key: null });
    expect(put.status).toBe(405);
  });

  it('rejects malformed JSON and wrong types with 422 and the validation detail list', async () => {
    const malformed = await call(server, 'POST', '/api/bash/execute_bash_command', {
      body: '{"command": "echo', headers: { 'Content-Type': 'application/json' },
    });
    expect(malformed.status).toBe(422);
    assertMatchesSchema('HttpValidationError', malformed.body);
    expect(malformed.body).toEqual({ detail: [{ loc: ['body'], msg: 'JSON decode error', type: 'json_invalid' }] });

    const wrongType = await call<{ detail: { loc: unknown[]; type: string }[] }>(server, 'POST', '/api/bash/execute_bash_command', { json: { command: 42, timeout: 'soon' } });
    expect(wrongType.status).toBe(422);
    assertMatchesSchema('HttpValidationError', wrongType.body);
    expect(wrongType.body.detail.map((d) => d.loc)).toEqual(expect.arrayContaining([['body', 'command'], ['body', 'timeout']]));

    const missing = await call<{ detail: { loc: unknown[]; type: string; msg: string }[] }>(server, 'POST', '/api/bash/start_bash_command', { json: {} });
    expect(missing.status).toBe(422);
    expect(missing.body.detail).toEqual([{ loc: ['body', 'command'], msg: 'Field required', type: 'missing', input: {} }]);

    const badQuery = await call(server, 'GET', '/api/bash/bash_events/search?limit=0&sort_order=SIDEWAYS');
    expect(badQuery.status).toBe(422);
    assertMatchesSchema('HttpValidationError', badQuery.body);
  });

  it('refuses a body over the JSON limit with 413 and headers over the limit with 431, then keeps serving', async () => {
    const big = await call(server, 'POST', '/api/bash/execute_bash_command', { json: { command: 'x'.repeat(10_000) } });
    expect(big).toMatchObject({ status: 413, body: { detail: 'Request body too large' } });

    const { port } = new URL(server.url);
    const headers = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port: Number(port), path: '/alive', headers: { 'X-Big': 'y'.repeat(20_000) } }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });
    expect(headers.status).toBe(431);
    expect(JSON.parse(headers.body)).toEqual({ detail: 'Request header fields too large' });

    const garbage = await raw(server.url, 'NOT HTTP AT ALL\r\n\r\n');
    expect(garbage).toMatch(/^HTTP\/1\.1 400/);

    expect((await call(server, 'GET', '/alive')).status).toBe(200);
    expect((await call(server, 'POST', '/api/bash/execute_bash_command', { json: { command: 'echo still here' } })).body)
      .toMatchObject({ stdout: 'still here\n', exit_code: 0 });
  });

  it('echoes a request id and logs requests with it, never with the key', async () => {
    const res = await call(server, 'GET', '/api/bash/bash_events/search?limit=1', { headers: { 'X-Request-Id': 'test-req-42' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe('test-req-42');
    const generated = await call(server, 'GET', '/alive');
    expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f]{16}$/);
    await waitFor(() => server.logs().includes('"reqId":"test-req-42"'), 'the request log line');
    const line = server.logs().split('\n').find((l) => l.includes('"reqId":"test-req-42"')) as string;
    expect(JSON.parse(line)).toMatchObject({ method: 'GET', status: 200, url: '/api/bash/bash_events/search?limit=1' });
  });

  it('exposes Prometheus metrics by route template, running commands and bytes moved', async () => {
    await call(server, 'GET', '/api/bash/bash_events/0123456789abcdef0123456789abcdef');
    const res = await call<string>(server, 'GET', '/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(res.body).toMatch(/agent_server_http_requests_total\{method="GET",route="\/api\/bash\/bash_events\/:event_id",status="404"\} 1/);
    expect(res.body).toMatch(/agent_server_http_request_duration_seconds_bucket\{le="0\.005",method="POST",route="\/api\/bash\/execute_bash_command"/);
    expect(res.body).toContain('agent_server_bash_commands_running 0');
    expect(res.body).toMatch(/agent_server_bash_commands_total\{outcome="exited"\} \d+/);
    expect(res.body).toContain('agent_server_file_bytes_total');
    expect(res.body).toContain('process_cpu_user_seconds_total');
    expect(res.body).toMatch(/route="unmatched",status="404"/);
  });
  it('allows CORS from localhost and configured origins only, answering preflights', async () => {
    for (const origin of ['http://localhost:3000', 'http://127.0.0.1:5173', 'https://app.example.com']) {
      const res = await call(server, 'GET', '/server_info', { key: null, headers: { Origin: origin } });
      expect(res.headers.get('access-control-allow-origin')).toBe(origin);
      expect(res.headers.get('access-control-allow-credentials')).toBe('true');
    }
    const other = await call(server, 'GET', '/server_info', { key: null, headers: { Origin: 'https://evil.example.com' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await call(server, 'OPTIONS', '/api/bash/execute_bash_command', {
      key: null, headers: { Origin: 'https://app.example.com', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'x-session-api-key,content-type' },
    });
    expect(preflight.status).toBe(200);
    expect(preflight.headers.get('access-control-allow-headers')).toBe('x-session-api-key,content-type');
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
  });
});

describe('agent server: configuration', () => {
  const afterAllCleanups: (() => void)[] = [];
  afterAll(() => afterAllCleanups.forEach((fn) => fn()));
  it('exits non-zero naming the invalid setting', async () => {
    const port = await runServerToExit(['--port', '70000'], {});
    expect(port.code).toBe(2);
    expect(port.output).toContain('--port');
    const keys = await runServerToExit(['--port', '0'], { OH_SESSION_API_KEYS: '{"not":"a list"}' });
    expect(keys.code).toBe(2);
    expect(keys.output).toMatch(/OH_SESSION_API_KEYS: .*expected array/i);
    const limit = await runServerToExit(['--port', '0'], { AGENT_SERVER_MAX_UPLOAD_BYTES: '-5' });
    expect(limit.code).toBe(2);
    expect(limit.output).toContain('AGENT_SERVER_MAX_UPLOAD_BYTES');
    const roots = await runServerToExit(['--port', '0'], { AGENT_SERVER_FILE_ROOTS_0: 'relative/dir' });
    expect(roots.code).toBe(2);
    expect(roots.output).toMatch(/AGENT_SERVER_FILE_ROOTS_0\.\.\[0\]: must be an absolute path/);
    const flag = await runServerToExit(['--bogus'], {});
    expect(flag.code).toBe(2);
    expect(flag.output).toContain('--bogus');
  });

  it('runs as the container runs it: node dist/main.js, port and host from the environment', async () => {
    const { spawn } = await import('node:child_process');
    const { ROOT, NODE } = await import('../support/server.js');
    const { mkdtempSync, rmSync } = await import('node:fs');
    const cwd = mkdtempSync(`${(await import('node:os')).tmpdir()}/agent-server-direct-`);
    const child = spawn(NODE, [`${ROOT}/server-image/dist/main.js`], {
      cwd, env: { PATH: process.env.PATH ?? '', AGENT_SERVER_HOST: '127.0.0.1', AGENT_SERVER_PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    afterAllCleanups.push(() => rmSync(cwd, { recursive: true, force: true }));
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const [, url] = await waitFor(() => /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(out), 'the server to listen');
    expect((await call({ url: url as string, key: undefined }, 'GET', '/ready')).status).toBe(200);
    const exited = new Promise((resolve) => child.on('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('runs open, with a warning, when no key is configured', async () => {
    const open = await startServer({ key: null });
    try {
      expect(open.logs()).toMatch(/"level":"warn".*no session API keys configured/);
      const res = await call(open, 'POST', '/api/bash/execute_bash_command', { json: { command: 'echo open' } });
      expect(res.status).toBe(200);
    } finally {
      await open.stop();
    }
  });

  it('reads the key from the legacy SESSION_API_KEY and from the JSON list', async () => {
    const cases: [Record<string, string>, string][] = [
      [{ SESSION_API_KEY: 'legacy-key-1' }, 'legacy-key-1'],
      [{ OH_SESSION_API_KEYS: '["list-key-1","list-key-2"]' }, 'list-key-2'],
    ];
    for (const [env, key] of cases) {
      const s = await startServer({ key: null, env });
      try {
        expect((await call(s, 'GET', '/api/bash/bash_events/search', { key })).status).toBe(200);
        expect((await call(s, 'GET', '/api/bash/bash_events/search', { key: 'other' })).status).toBe(401);
      } finally {
        await s.stop();
      }
    }
  });
});

describe('agent server: secrets stay out of logs and commands', () => {
  it('never writes the key, even from URLs that carry it', async () => {
    const key = 'sekrit-' + 'k'.repeat(24);
    const s = await startServer({ key });
    try {
      await call(s, 'GET', `/api/bash/bash_events/search?session_api_key=${key}&limit=2`);
      await call(s, 'GET', `/api/bash/bash_events/search?limit=2`, { key: 'wrong-' + key });
      const { port } = new URL(s.url);
      // A WebSocket handshake carrying the key in its query, accepted and refused.
      await raw(s.url, `GET /sockets/bash-events?session_api_key=${key} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
      await raw(s.url, `GET /sockets/bash-events?session_api_key=x${key} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
      const res = await call<{ stdout: string }>(s, 'POST', '/api/bash/execute_bash_command', { json: { command: 'env' } });
      expect(res.body.stdout).not.toContain(key);
      await waitFor(() => s.logs().includes('websocket refused'), 'the refused socket log line');
      expect(s.logs()).toContain('session_api_key=[REDACTED]');
    } finally {
      await s.stop();
    }
    expect(s.logs()).not.toContain(key);
  });
});

describe('agent server: graceful shutdown', () => {
  it('on SIGTERM stops accepting, lets a running command finish, closes sockets with 1001 and exits 0', async () => {
    const s = await startServer({ env: { AGENT_SERVER_SHUTDOWN_GRACE_MS: '20000' } });
    const flag = `${s.dataDir}/go`;
    const started = await call<{ id: string }>(s, 'POST', '/api/bash/start_bash_command', {
      json: { command: `while [ ! -f ${flag} ]; do sleep 0.05; done; echo finished` },
    });
    expect(started.status).toBe(200);
    const { WebSocket } = await import('ws');
    const socket = new WebSocket(s.url.replace(/^http/, 'ws') + '/sockets/bash-events', { headers: { 'X-Session-API-Key': s.key as string } });
    await new Promise((resolve) => socket.once('open', resolve));
    const socketClosed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    s.process.kill('SIGTERM');
    await waitFor(() => s.logs().includes('"msg":"shutting down"'), 'shutdown to begin');
    // New connections are refused while the command is allowed to finish.
    await expect(fetch(s.url + '/ready')).rejects.toThrow();
    const { writeFileSync } = await import('node:fs');
    writeFileSync(flag, '');
    expect(await socketClosed).toBe(1001);
    const code = await s.stop();
    expect(code).toBe(0);
    expect(s.logs()).toContain('"outcome":"exited"');
    expect(s.logs()).toContain('agent server stopped');
  });

  it('kills commands still running when the grace period ends', async () => {
    const s = await startServer({ env: { AGENT_SERVER_SHUTDOWN_GRACE_MS: '100' } });
    await call(s, 'POST', '/api/bash/start_bash_command', { json: { command: 'sleep 600' } });
    const code = await s.stop();
    expect(code).toBe(0);
    expect(s.logs()).toMatch(/"exitCode":-1,"outcome":"shutdown"/);
  });
});
