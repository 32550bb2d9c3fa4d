// Who may read /metrics (OpenHands serves none; ours is not public by default): behind the session key on
// the API port; AGENT_SERVER_METRICS_PUBLIC=1 opens it there; AGENT_SERVER_METRICS_PORT moves it to a
// listener of its own, without the key, and the API port serves none. The dormant server (OH_DEFERRED_INIT)
// keeps its metrics listener through /api/init. A bad setting exits 2 naming it.
import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { type TestServer, call, runServerToExit, startServer } from '../support/server.js';

jest.setTimeout(60_000);

const started: TestServer[] = [];
afterEach(async () => {
  for (const s of started.splice(0)) await s.stop();
});

async function server(env: Record<string, string> = {}, key?: string | null): Promise<TestServer> {
  const s = await startServer({ env, ...(key !== undefined ? { key } : {}) });
  started.push(s);
  return s;
}

/** The metrics listener's URL, from its log line (written before "agent server listening"). */
function metricsUrl(s: TestServer): string {
  const m = /"metricsPort":(\d+)[^\n]*"msg":"metrics listening"/.exec(s.logs());
  if (!m) throw new Error(`no metrics listener in the logs:\n${s.logs()}`);
  return `http://127.0.0.1:${m[1]}`;
}

describe('/metrics', () => {
  it('is behind the session key by default', async () => {
    const s = await server();
    expect(await call(s, 'GET', '/metrics', { key: null })).toMatchObject({ status: 401, body: { detail: 'Unauthorized' } });
    expect((await call(s, 'GET', '/metrics', { key: 'wrong' })).status).toBe(401);
    const ok = await call<string>(s, 'GET', '/metrics');
    expect(ok.status).toBe(200);
    expect(ok.body).toContain('agent_server_http_requests_total');
    expect(s.logs()).not.toContain('metrics listening');
  });

  it('is open on the API port with AGENT_SERVER_METRICS_PUBLIC=1', async () => {
    const s = await server({ AGENT_SERVER_METRICS_PUBLIC: '1' });
    expect((await call(s, 'GET', '/metrics', { key: null })).status).toBe(200);
    expect((await call(s, 'GET', '/api/bash/bash_events/search', { key: null })).status).toBe(401);
  });

  it('moves to its own port, without the key, with AGENT_SERVER_METRICS_PORT (the API port serves none)', async () => {
    const s = await server({ AGENT_SERVER_METRICS_PORT: '0' });
    const url = metricsUrl(s);
    expect(url).not.toBe(s.url);
    await call(s, 'GET', '/api/bash/bash_events/search?limit=1');
    expect((await call(s, 'GET', '/metrics')).status).toBe(404);
    const res = await fetch(`${url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await res.text()).toMatch(/agent_server_http_requests_total\{method="GET",route="\/api\/bash\/bash_events\/search",status="200"\} 1/);
    expect((await fetch(`${url}/metrics`, { method: 'HEAD' })).status).toBe(200);
    expect((await fetch(`${url}/api/bash/bash_events/search`)).status).toBe(404);
    expect((await fetch(`${url}/metrics`, { method: 'POST' })).status).toBe(405);
    expect(await s.stop()).toBe(0);
    await expect(fetch(`${url}/metrics`)).rejects.toThrow();
  });

  it('keeps a dormant server\'s metrics listener through /api/init', async () => {
    const s = await server({ OH_DEFERRED_INIT: '1', OH_SECRET_KEY: 'init-key', AGENT_SERVER_METRICS_PORT: '0' }, null);
    const url = metricsUrl(s);
    expect((await fetch(`${url}/metrics`)).status).toBe(200);
    const init = await fetch(`${s.url}/api/init`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'X-Init-API-Key': 'init-key' },
      body: JSON.stringify({ session_api_keys: ['after-init'] }),
    });
    expect(init.status).toBe(200);
    expect((await call(s, 'GET', '/api/bash/bash_events/search', { key: 'after-init' })).status).toBe(200);
    const text = await (await fetch(`${url}/metrics`)).text();
    expect(text).toMatch(/route="\/api\/bash\/bash_events\/search",status="200"\} 1/);
    expect((await call(s, 'GET', '/metrics', { key: 'after-init' })).status).toBe(404);
    expect(await s.stop()).toBe(0);
    await expect(fetch(`${url}/metrics`)).rejects.toThrow();
  });

  it('refuses a bad setting, naming it', async () => {
    const port = await runServerToExit(['--port', '0'], { AGENT_SERVER_METRICS_PORT: 'nine' });
    expect(port.code).toBe(2);
    expect(port.output).toContain('AGENT_SERVER_METRICS_PORT');
    const open = await runServerToExit(['--port', '0'], { AGENT_SERVER_METRICS_PUBLIC: 'yes' });
    expect(open.code).toBe(2);
    expect(open.output).toContain('AGENT_SERVER_METRICS_PUBLIC');
  });
});
