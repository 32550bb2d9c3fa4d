/**
 * The operator's HTTP endpoints: /healthz (liveness: fails when a watch has been broken longer than
 * the threshold, so Kubernetes restarts a silently dead operator), /readyz (also fails while caches
 * are unsynced on the leader, or during shutdown) and /metrics (Prometheus text format).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Metrics } from './metrics.js';

export interface HealthState {
  /** Milliseconds the longest-broken watch has been broken (0: all fine). */
  brokenForMs(): number;
  /** false while this replica leads and its caches have not synced yet. */
  ready(): boolean;
  shuttingDown(): boolean;
}

export function startHealthServer(options: { host: string; port: number; staleMs: number; state: HealthState; metrics: Metrics }): Promise<Server> {
  const { state, metrics, staleMs } = options;
  const server = createServer((req, res) => {
    const reply = (code: number, body: string, type = 'text/plain; charset=utf-8') => {
      res.writeHead(code, { 'content-type': type });
      res.end(body);
    };
    const broken = state.brokenForMs();
    switch (req.url?.split('?')[0]) {
      case '/healthz':
        return broken > staleMs ? reply(503, `watch broken for ${broken} ms\n`) : reply(200, 'ok\n');
      case '/readyz':
        if (state.shuttingDown()) return reply(503, 'shutting down\n');
        if (broken > staleMs) return reply(503, `watch broken for ${broken} ms\n`);
        return state.ready() ? reply(200, 'ok\n') : reply(503, 'caches not synced\n');
      case '/metrics':
        metrics.registry
          .metrics()
          .then((text) => reply(200, text, metrics.registry.contentType))
          .catch(() => reply(500, 'metrics failed\n'));
        return;
      default:
        return reply(404, 'not found\n');
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve(server));
  });
}

export function portOf(server: Server): number {
  return (server.address() as AddressInfo).port;
}
