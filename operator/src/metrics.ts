/** Prometheus metrics of the operator (prom-client), in their own registry. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface Metrics {
  registry: Registry;
  reconcileTotal: Counter<'result'>;
  reconcileDuration: Histogram<'result'>;
  reconcileErrors: Counter<'kind'>;
  queueDepth: Gauge;
  workspacesByReason: Gauge<'reason' | 'ready'>;
  timeToReady: Histogram;
  isLeader: Gauge;
  apiRequests: Counter<'verb' | 'resource'>;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    reconcileTotal: new Counter({ name: 'agentworkspace_reconcile_total', help: 'Reconciles by result (success, requeue, error, terminal).', labelNames: ['result'], registers: [registry] }),
    reconcileDuration: new Histogram({
      name: 'agentworkspace_reconcile_duration_seconds', help: 'Reconcile duration by result.', labelNames: ['result'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: [registry],
    }),
    reconcileErrors: new Counter({ name: 'agentworkspace_reconcile_errors_total', help: 'Failed reconciles by kind (transient, terminal).', labelNames: ['kind'], registers: [registry] }),
    queueDepth: new Gauge({ name: 'agentworkspace_workqueue_depth', help: 'Keys waiting in the work queue.', registers: [registry] }),
    workspacesByReason: new Gauge({ name: 'agentworkspace_workspaces', help: 'Workspaces by Ready status and reason (as last reconciled).', labelNames: ['ready', 'reason'], registers: [registry] }),
    timeToReady: new Histogram({
      name: 'agentworkspace_time_to_ready_seconds', help: 'From workspace creation to its first Ready=True.',
      buckets: [0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600], registers: [registry],
    }),
    isLeader: new Gauge({ name: 'agentworkspace_leader', help: '1 while this replica holds the leader Lease.', registers: [registry] }),
    apiRequests: new Counter({
      name: 'agentworkspace_kube_requests_total', help: 'Requests to the API server (not counting watches) by verb and resource.',
      labelNames: ['verb', 'resource'], registers: [registry],
    }),
  };
}
