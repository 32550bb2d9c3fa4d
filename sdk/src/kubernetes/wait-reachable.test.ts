// waitUntilReachable against a real HTTP server on loopback: a port nobody listens on yet (connection refused, as
// a Service kube-proxy has not routed), then a server answering 503 before 200 (as the API server's proxy does
// before it sees the endpoint); a deadline that passes names the last failure; a 404 fails at once.
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import { silentLogger, type Logger } from '../logger.js';
import { NotFoundError } from '../remote/errors.js';
import { WorkspaceReadyTimeoutError } from './errors.js';
import { waitUntilReachable } from './wait-reachable.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** A server answering each GET with the next status of `statuses` (the last one repeats); records the paths. */
function serve(statuses: number[]): { server: Server; paths: string[] } {
  const paths: string[] = [];
  const server = createServer((req, res) => {
    paths.push(req.url ?? '');
    const status = statuses.length > 1 ? statuses.shift()! : statuses[0]!;
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ status: status === 200 ? 'ready' : 'initializing' }));
  });
  servers.push(server);
  return { server, paths };
}

async function freePort(): Promise<number> {
  const probe = createServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address() as AddressInfo;
  await new Promise((r) => probe.close(r));
  return port;
}

describe('waitUntilReachable', () => {
  it('retries a refused connection and 503s until GET /ready answers 200', async () => {
    const port = await freePort();
    const { server, paths } = serve([503, 503, 200]);
    let refusedSeen = 0;
    const logger: Logger = { ...silentLogger, debug: (fields: object) => { if (String((fields as { err?: string }).err).includes('ECONNREFUSED')) refusedSeen++; } };
    const waiting = waitUntilReachable({ workspace: 'ns/w', url: `http://127.0.0.1:${port}`, deadline: Date.now() + 60_000, logger });
    // Listen only after the first probe was refused.
    while (refusedSeen === 0) await new Promise((r) => setImmediate(r));
    server.listen(port, '127.0.0.1');
    await waiting;
    expect(paths).toEqual(['/ready', '/ready', '/ready']);
  });

  it('gives up at the deadline with WorkspaceReadyTimeoutError naming the URL and the last failure', async () => {
    const port = await freePort();
    const err = await waitUntilReachable({ workspace: 'ns/w', url: `http://127.0.0.1:${port}`, deadline: Date.now() + 300, logger: silentLogger }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkspaceReadyTimeoutError);
    expect((err as Error).message).toContain(`http://127.0.0.1:${port}`);
    expect((err as Error).message).toContain('ECONNREFUSED');
  });

  it('fails at once on an answer that retrying cannot change (404: not an agent server)', async () => {
    const { server, paths } = serve([404]);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await expect(waitUntilReachable({ workspace: 'ns/w', url, deadline: Date.now() + 60_000, logger: silentLogger })).rejects.toBeInstanceOf(NotFoundError);
    expect(paths).toEqual(['/ready']);
  });
});
