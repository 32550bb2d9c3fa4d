/**
 * Composition root: config → logger → kubeconfig → health server → (leader election →) controller.
 * SIGTERM/SIGINT: /readyz turns 503, the workers finish their reconciles, the Lease is released,
 * then the process exits 0. Losing the Lease exits 1 (as client-go does) so a restart campaigns again.
 */
import { KubeConfig } from '@kubernetes/client-node';
import { ConfigError, loadConfig } from './config.js';
import { Controller } from './controller/controller.js';
import { kubeInformers } from './controller/informer.js';
import { LeaderElector } from './controller/leader.js';
import { portOf, startHealthServer } from './health.js';
import { KubeClient, resourceOf } from './kube/client.js';
import { createLogger } from './log.js';
import { createMetrics } from './metrics.js';

export async function main(argv = process.argv.slice(2), env = process.env): Promise<void> {
  let config;
  try {
    config = loadConfig(env, argv);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger(config.LOG_LEVEL);
  const kubeConfig = new KubeConfig();
  if (config.KUBECONFIG) kubeConfig.loadFromFile(config.KUBECONFIG);
  else kubeConfig.loadFromDefault();
  const metrics = createMetrics();
  const client = new KubeClient(kubeConfig, (verb, path) => metrics.apiRequests.inc({ verb, resource: resourceOf(path) }));
  const controller = new Controller({
    informers: kubeInformers(kubeConfig, client, log),
    client,
    log,
    metrics,
    settings: {
      serverImage: config.SERVER_IMAGE,
      clusterDomain: config.CLUSTER_DOMAIN,
      terminationGracePeriodSeconds: config.POD_TERMINATION_GRACE_SECONDS,
      runAsUser: config.POD_RUN_AS_USER,
      podLimits: { cpu: config.POD_CPU_LIMIT, ephemeralStorage: config.POD_EPHEMERAL_STORAGE_LIMIT, workspaceSize: config.WORKSPACE_SIZE, tmpSize: config.POD_TMP_SIZE },
    },
    namespaces: config.WATCH_NAMESPACES,
    workers: config.WORKERS,
    resyncPeriodMs: config.RESYNC_PERIOD_MS,
    identity: config.IDENTITY,
  });
  const elector = config.LEADER_ELECT
    ? new LeaderElector({
        client,
        namespace: config.LEADER_ELECTION_NAMESPACE,
        name: config.LEADER_ELECTION_NAME,
        identity: config.IDENTITY,
        leaseDurationMs: config.LEASE_DURATION_MS,
        renewDeadlineMs: config.RENEW_DEADLINE_MS,
        retryPeriodMs: config.RETRY_PERIOD_MS,
        log,
      })
    : undefined;
  let leading = false;
  let shuttingDown = false;
  const server = await startHealthServer({
    host: config.HEALTH_ADDR,
    port: config.HEALTH_PORT,
    staleMs: config.WATCH_STALE_MS,
    metrics,
    state: {
      brokenForMs: () => (leading ? controller.brokenForMs() : 0),
      ready: () => !leading || controller.hasSynced(),
      shuttingDown: () => shuttingDown,
    },
  });
  log.info({ port: portOf(server), identity: config.IDENTITY, leaderElection: config.LEADER_ELECT }, 'operator started');

  const shutdown = async (signal: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    log.info({ signal }, 'shutting down');
    await controller.stop();
    await elector?.stop();
    metrics.isLeader.set(0);
    server.close();
    log.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', (s) => void shutdown(s));
  process.on('SIGINT', (s) => void shutdown(s));

  const lead = async () => {
    leading = true;
    metrics.isLeader.set(1);
    await controller.start();
  };
  if (!elector) return lead();
  await elector.run({
    onStartedLeading: () => {
      lead().catch((err: Error) => {
        log.error({ err: err.message }, 'controller failed to start');
        process.exit(1);
      });
    },
    onStoppedLeading: () => {
      metrics.isLeader.set(0);
      process.exit(1);
    },
  });
}
