// KubeClient against a real TLS server: requests share one connection (client-node alone would open one per request).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeClient } from './client.js';

let server: Server;
let dir: string;
let connections = 0;
const tokens: Array<string | undefined> = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kube-client-tls-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
  server = createServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (req, res) => {
    tokens.push(req.headers.authorization);
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns' } }));
  });
  server.on('secureConnection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

describe('KubeClient connections', () => {
  it('sends sequential and concurrent requests over a pooled TLS connection, with the credentials on each', async () => {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, caData: readFileSync(join(dir, 'cert.pem')).toString('base64') }],
      users: [{ name: 'u', token: 'secret-token' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    const client = new KubeClient(kc);
    for (let i = 0; i < 10; i++) await client.get('/api/v1/namespaces/ns/pods/p');
    // undici (8.12, as with a bare Agent) opens a second connection after the first answer, then reuses them.
    expect(connections).toBeLessThanOrEqual(2);
    const before = connections;
    await Promise.all(Array.from({ length: 3 }, () => client.get('/api/v1/namespaces/ns/pods/p')));
    expect(connections - before).toBeLessThanOrEqual(3); // one pool: at most one new connection per request in flight
    expect(tokens).toHaveLength(13);
    expect(tokens.every((t) => t === 'Bearer secret-token')).toBe(true);
    await client.close();
  });
});
