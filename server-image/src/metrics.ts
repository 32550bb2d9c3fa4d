// Prometheus metrics (prom-client) on a registry of our own, served at GET /metrics.
// HTTP metrics are labelled by route template (e.g. /api/bash/bash_events/:event_id), never by raw
// path, so cardinality stays bounded whatever clients send.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface Metrics {
  registry: Registry;
  httpRequests: Counter<'method' | 'route' | 'status'>;
  httpDuration: Histogram<'method' | 'route' | 'status'>;
  bashRunning: Gauge;
  bashCommands: Counter<'outcome'>;
  bytesMoved: Counter<'direction'>;
  wsConnections: Gauge<'route'>;
}

/** A fresh registry with default process metrics and the server's own. */
export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    httpRequests: new Counter({
      name: 'agent_server_http_requests_total', help: 'HTTP requests by route template, method and status.',
      labelNames: ['method', 'route', 'status'], registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'agent_server_http_request_duration_seconds', help: 'HTTP request latency by route template.',
      labelNames: ['method', 'route', 'status'], registers: [registry],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 300],
    }),
    bashRunning: new Gauge({ name: 'agent_server_bash_commands_running', help: 'Bash commands currently running.', registers: [registry] }),
    bashCommands: new Counter({
      name: 'agent_server_bash_commands_total', help: 'Bash commands finished, by outcome (exited, timeout, output_limit, error, shutdown).',
      labelNames: ['outcome'], registers: [registry],
    }),
    bytesMoved: new Counter({
      name: 'agent_server_file_bytes_total', help: 'File bytes moved through the file API, by direction (upload, download, archive).',
      labelNames: ['direction'], registers: [registry],
    }),
    wsConnections: new Gauge({
      name: 'agent_server_websocket_connections', help: 'Open WebSocket connections by route.', labelNames: ['route'], registers: [registry],
    }),
  };
}
