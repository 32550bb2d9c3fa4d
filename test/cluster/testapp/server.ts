// The acceptance tests' pod workload. Routes (PORT, default 8080):
//   GET /healthz                  200 "ok"
//   GET /env                      the process environment as JSON
//   GET /file?path=P              the file's contents (404 when missing)
//   PUT /file?path=P              writes the request body to P
//   DELETE /file?path=P           removes P (a readiness probe on /file?path=P then fails)
//   GET /fetch?url=U              fetches U from inside the pod: {"status": N, "body": "…"} (502 + error text on failure)
//   GET /resolve?name=N           resolves N as the pod's libc does (resolv.conf, search list): {"address": "…"}
//   GET /ws (WebSocket upgrade)   sends one text message "hello from <hostname>", then closes
//   GET /whoami                   asks the API server who the pod's service-account token is
//                                 (SelfSubjectReview through KUBERNETES_SERVICE_HOST/PORT and the mounted CA)
//   POST /exit?code=N             exits with N (tests restarts)
// SIGTERM exits at once, so deletion does not wait for the grace period.
import { createServer } from 'node:http';
import { request } from 'node:https';
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { hostname } from 'node:os';

const SA = '/var/run/secrets/kubernetes.io/serviceaccount';

function whoami(): Promise<{ status: number; body: string }> {
  const body = JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' });
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: process.env.KUBERNETES_SERVICE_HOST,
        port: Number(process.env.KUBERNETES_SERVICE_PORT),
        path: '/apis/authentication.k8s.io/v1/selfsubjectreviews',
        method: 'POST',
        ca: readFileSync(`${SA}/ca.crt`),
        headers: {
          authorization: `Bearer ${readFileSync(`${SA}/token`, 'utf8').trim()}`,
          'content-type': 'application/json',
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://pod');
  const reply = (status: number, body: string, type = 'text/plain'): void => {
    res.writeHead(status, { 'content-type': type });
    res.end(body);
  };
  const path = url.searchParams.get('path') ?? '';
  if (url.pathname === '/healthz') reply(200, 'ok');
  else if (url.pathname === '/env') reply(200, JSON.stringify(process.env), 'application/json');
  else if (url.pathname === '/file' && req.method === 'GET') {
    try { reply(200, readFileSync(path, 'utf8')); } catch (e) { reply(404, String(e)); }
  } else if (url.pathname === '/file' && req.method === 'PUT') {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try { writeFileSync(path, Buffer.concat(chunks)); reply(204, ''); } catch (e) { reply(500, String(e)); }
    });
  } else if (url.pathname === '/file' && req.method === 'DELETE') {
    try { unlinkSync(path); reply(204, ''); } catch (e) { reply(404, String(e)); }
  } else if (url.pathname === '/fetch') {
    fetch(url.searchParams.get('url') ?? '', { signal: AbortSignal.timeout(10_000) })
      .then(async (r) => reply(200, JSON.stringify({ status: r.status, body: await r.text() }), 'application/json'),
        (e: unknown) => reply(502, String((e as { cause?: unknown }).cause ?? e)));
  } else if (url.pathname === '/resolve') {
    lookup(url.searchParams.get('name') ?? '', { family: 4 })
      .then((a) => reply(200, JSON.stringify({ address: a.address }), 'application/json'), (e: unknown) => reply(502, String(e)));
  } else if (url.pathname === '/whoami') {
    whoami().then((r) => reply(r.status, r.body, 'application/json'), (e: unknown) => reply(502, String(e)));
  } else if (url.pathname === '/exit' && req.method === 'POST') {
    reply(202, 'exiting');
    setTimeout(() => process.exit(Number(url.searchParams.get('code') ?? '1')), 50);
  } else reply(404, 'not found');
});

// A minimal WebSocket endpoint (RFC 6455 handshake, one unmasked text frame, a close frame).
server.on('upgrade', (req, socket) => {
  const key = req.headers['sec-websocket-key'];
  if (new URL(req.url ?? '/', 'http://pod').pathname !== '/ws' || typeof key !== 'string') {
    socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
    return;
  }
  const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
  const text = Buffer.from(`hello from ${hostname()}`);
  socket.write(Buffer.concat([Buffer.from([0x81, text.length]), text, Buffer.from([0x88, 0x02, 0x03, 0xe8])]));
  socket.on('data', () => socket.end()); // the client's close frame
  socket.on('error', () => socket.destroy());
});

server.listen(Number(process.env.PORT ?? 8080), '0.0.0.0');
process.on('SIGTERM', () => process.exit(0));
