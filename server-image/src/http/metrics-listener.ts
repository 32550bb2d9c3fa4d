// AGENT_SERVER_METRICS_PORT: GET /metrics on a listener of its own (on AGENT_SERVER_HOST), without the session key,
// so a scraper needs no key and the API port serves no /metrics. Nothing else is served there.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';

/** Listens on config.metricsPort when it is set; resolves with the server (undefined when unset). */
export async function listenForMetrics(config: Config, metrics: Metrics, log: Logger): Promise<Server | undefined> {
  if (config.metricsPort === undefined) return undefined;
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/metrics') return void res.writeHead(404, { 'content-type': 'application/json' }).end('{"detail":"Not Found"}');
    if (req.method !== 'GET' && req.method !== 'HEAD') return void res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'application/json' }).end('{"detail":"Method Not Allowed"}');
    metrics.registry.metrics().then(
      (text) => void res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(req.method === 'HEAD' ? undefined : text),
      (err: unknown) => {
        log.error({ err }, 'metrics could not be collected');
        res.writeHead(500, { 'content-type': 'application/json' }).end('{"detail":"Internal Server Error"}');
      },
    );
  });
  server.on('clientError', (_err, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.metricsPort, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (err) => log.error({ err }, 'metrics listener failed'));
  log.info({ host: config.host, metricsPort: (server.address() as AddressInfo).port }, 'metrics listening');
  return server;
}

/** Closes the metrics listener, if any. */
export function closeMetrics(server: Server | undefined): Promise<void> {
  return new Promise((resolve) => (server ? server.close(() => resolve()) : resolve()));
}
