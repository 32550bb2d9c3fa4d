// The loopback forwarder against a stand-in API server (a real HTTP and WebSocket server on loopback; the e2e
// tier runs it against the real kube-apiserver over TLS; plain HTTP needs skipTLSVerify in client-node): every request and upgrade goes to the Service's proxy path
// with the kubeconfig's credentials, the caller's own Authorization never passes, an upstream refusal of an
// upgrade reaches the caller with its status, and an unreachable API server is a 502 naming it.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { WebSocketServer } from 'ws';
import { silentLogger } from '../logger.js';
import { ConnectionError } from '../remote/errors.js';
import { startServiceProxy, type ServiceProxy } from './api-proxy.js';

const TOKEN = 'token-of-the-kubeconfig';
const PREFIX = '/api/v1/namespaces/team%20a/services/ws-1:8000/proxy';

function kubeConfigFor(server: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server, skipTLSVerify: true }],
    users: [{ name: 'u', token: TOKEN }],
    contexts: [{ name: 'ctx', cluster: 'c', user: 'u' }],
    currentContext: 'ctx',
  });
  return kc;
}

let upstream: Server;
let seen: IncomingMessage[] = [];
let proxy: ServiceProxy;

beforeAll(async () => {
  const sockets = new WebSocketServer({ noServer: true });
  sockets.on('error', () => undefined);
  upstream = createServer((req, res) => {
    seen.push(req);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => res.writeHead(201, { 'content-type': 'application/json', 'x-upstream': 'yes' })
      .end(JSON.stringify({ method: req.method, url: req.url, body: Buffer.concat(chunks).toString('utf8') })));
  });
  upstream.on('upgrade', (req: IncomingMessage, socket, head) => {
    seen.push(req);
    socket.on('error', () => undefined);
    if (!req.url?.split('?')[0]!.endsWith('/sockets/events/ok')) {
      socket.end('HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain\r\ncontent-length: 9\r\n\r\nforbidden');
      return;
    }
    sockets.handleUpgrade(req, socket, head, (ws) => {
      ws.on('error', () => undefined);
      ws.on('message', (data) => ws.send(`echo:${String(data)}`));
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const { port } = upstream.address() as AddressInfo;
  proxy = await startServiceProxy(kubeConfigFor(`http://127.0.0.1:${port}`), { namespace: 'team a', service: 'ws-1', port: 8000 }, silentLogger);
});

afterAll(async () => {
  await proxy?.close();
  await new Promise<void>((resolve) => upstream.close(() => resolve()));
});

describe('startServiceProxy', () => {
  it('binds to loopback and sends a request to the Service proxy path with the kubeconfig\'s token, not the caller\'s', async () => {
    expect(proxy.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    seen = [];
    const res = await fetch(`${proxy.url}/api/bash/execute_bash_command?x=1`, {
      method: 'POST', body: '{"command":"true"}',
      headers: { 'content-type': 'application/json', authorization: 'Bearer caller-token', 'x-session-api-key': 'sk-session' },
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('x-upstream')).toBe('yes');
    expect(await res.json()).toEqual({ method: 'POST', url: `${PREFIX}/api/bash/execute_bash_command?x=1`, body: '{"command":"true"}' });
    expect(seen).toHaveLength(1);
    expect(seen[0]!.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(seen[0]!.headers['x-session-api-key']).toBe('sk-session');
  });

  it('forwards a WebSocket upgrade both ways', async () => {
    seen = [];
    const ws = new WebSocket(`${proxy.url.replace('http', 'ws')}/sockets/events/ok?session_api_key=k`);
    const reply = await new Promise<string>((resolve, reject) => {
      ws.addEventListener('open', () => ws.send('ping'));
      ws.addEventListener('message', (m) => resolve(String(m.data)));
      ws.addEventListener('error', () => reject(new Error('the socket failed')));
    });
    ws.close();
    expect(reply).toBe('echo:ping');
    expect(seen[0]!.url).toBe(`${PREFIX}/sockets/events/ok?session_api_key=k`);
    expect(seen[0]!.headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it('passes an upstream refusal of an upgrade on with its status', async () => {
    const { request } = await import('node:http');
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${proxy.url}/sockets/events/denied`, { headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' } });
      req.on('response', (res) => { res.resume(); resolve(res.statusCode ?? 0); });
      req.on('upgrade', () => reject(new Error('upgraded although the upstream refused')));
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(403);
  });

  it('answers 502 naming the API server when it cannot be reached', async () => {
    const idle = createServer();
    await new Promise<void>((resolve) => idle.listen(0, '127.0.0.1', resolve));
    const { port } = idle.address() as AddressInfo;
    await new Promise<void>((resolve) => idle.close(() => resolve()));
    const dead = await startServiceProxy(kubeConfigFor(`http://127.0.0.1:${port}`), { namespace: 'n', service: 's', port: 8000 }, silentLogger);
    try {
      const res = await fetch(`${dead.url}/health`);
      expect(res.status).toBe(502);
      expect(((await res.json()) as { detail: string }).detail).toMatch(/^API server proxy: .*ECONNREFUSED/);
    } finally {
      await dead.close();
    }
  });

  it('rejects a kubeconfig without a current cluster with a ConnectionError', async () => {
    await expect(startServiceProxy(new KubeConfig(), { namespace: 'n', service: 's', port: 8000 }, silentLogger)).rejects.toBeInstanceOf(ConnectionError);
  });
});
