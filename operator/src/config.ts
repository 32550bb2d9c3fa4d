/**
 * The operator's configuration: one zod schema over environment variables, with command-line flags
 * overriding them. `loadConfig` is called once by main.ts; nothing else reads process.env.
 */
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { z } from 'zod';

const bool = z
  .enum(['true', 'false', '1', '0'])
  .transform((v) => v === 'true' || v === '1');
const int = (min: number) => z.coerce.number().int().min(min);
/** A Kubernetes quantity ("500m", "2", "12Gi"). */
const quantity = z.string().regex(/^([0-9]+(\.[0-9]*)?|\.[0-9]+)([numkKMGTPE]i?|[eE][+-]?[0-9]+)?$/, 'must be a Kubernetes quantity such as 500m, 2 or 12Gi');

export const Config = z.object({
  KUBECONFIG: z.string().min(1).optional().describe('kubeconfig file (flag --kubeconfig). Default: in-cluster config, else ~/.kube/config.'),
  WATCH_NAMESPACES: z
    .string()
    .default('')
    .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean))
    .describe('Comma-separated namespaces to watch (flag --namespaces). Empty: all namespaces. Default: all.'),
  WORKERS: int(1).max(64).default(4).describe('Concurrent reconcile workers (flag --workers). Default: 4.'),
  RESYNC_PERIOD_MS: int(1000).default(300_000).describe('Every workspace is re-queued this often (5 min: cheap with level-based reconcile; bounds a silent watch). Default: 300000.'),
  SERVER_IMAGE: z.string().min(1).default('localhost/agentworkspace/agent-server:dev').describe('Image used when spec.image is absent (flag --server-image). Default: localhost/agentworkspace/agent-server:dev (what `make image` builds).'),
  CLUSTER_DOMAIN: z.string().min(1).default('cluster.local').describe('DNS suffix in status.url. Default: cluster.local.'),
  POD_TERMINATION_GRACE_SECONDS: int(1).default(60).describe('SIGTERM grace of server pods, for persisting conversations. Default: 60.'),
  POD_RUN_AS_USER: int(1).default(10001).describe('Non-root UID/GID of the server container. Default: 10001.'),
  POD_CPU_LIMIT: quantity.default('2').describe('limits.cpu of a workspace container whose spec.resources sets none (the request, when higher). Default: 2.'),
  POD_EPHEMERAL_STORAGE_LIMIT: quantity.default('12Gi').describe('limits.ephemeral-storage of a workspace container whose spec.resources sets none (the request, when higher). Default: 12Gi.'),
  WORKSPACE_SIZE: quantity.default('10Gi').describe('/workspace when spec.storage.size is absent: the PVC size or the emptyDir sizeLimit. Default: 10Gi.'),
  POD_TMP_SIZE: quantity.default('1Gi').describe('sizeLimit of the /tmp emptyDir when spec.tmpSize is absent. Default: 1Gi.'),
  LEADER_ELECT: bool.default(true).describe('Elect a leader on a Lease before reconciling (flag --leader-elect). Default: true.'),
  LEADER_ELECTION_NAMESPACE: z.string().min(1).default('default').describe('Namespace of the Lease (flag --leader-election-namespace). Default: default.'),
  LEADER_ELECTION_NAME: z.string().min(1).default('agent-workspace-operator').describe('Name of the Lease. Default: agent-workspace-operator.'),
  LEASE_DURATION_MS: int(1000).default(15_000).describe('A leader that has not renewed for this long may be replaced. Default: 15000.'),
  RENEW_DEADLINE_MS: int(500).default(10_000).describe('A leader that cannot renew within this gives up leadership (and exits). Default: 10000.'),
  RETRY_PERIOD_MS: int(100).default(2_000).describe('How often candidates try and the leader renews. Default: 2000.'),
  IDENTITY: z.string().min(1).default(`${hostname()}-${process.pid}`).describe('This replica\'s Lease holder identity (flag --identity). Default: <hostname>-<pid>.'),
  HEALTH_ADDR: z.string().default('0.0.0.0').describe('Address of /healthz, /readyz and /metrics (flag --health-addr). Default: 0.0.0.0.'),
  HEALTH_PORT: int(0).max(65535).default(8081).describe('Port of /healthz, /readyz and /metrics (flag --health-port; 0 picks a free one). Default: 8081.'),
  WATCH_STALE_MS: int(1000).default(60_000).describe('/readyz and /healthz fail once a watch has been broken this long. Default: 60000.'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info').describe('pino level (flag --log-level). Default: info.'),
});
export type Config = Readonly<z.infer<typeof Config>>;

const FLAGS = {
  kubeconfig: 'KUBECONFIG',
  namespaces: 'WATCH_NAMESPACES',
  workers: 'WORKERS',
  'server-image': 'SERVER_IMAGE',
  'leader-elect': 'LEADER_ELECT',
  'leader-election-namespace': 'LEADER_ELECTION_NAMESPACE',
  identity: 'IDENTITY',
  'health-addr': 'HEALTH_ADDR',
  'health-port': 'HEALTH_PORT',
  'log-level': 'LOG_LEVEL',
} as const;

/** Thrown with every problem at once, each naming its variable. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses env and argv (flags win); throws {@link ConfigError} listing every invalid setting. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, argv: string[] = process.argv.slice(2)): Config {
  let values: Record<string, string | undefined>;
  try {
    values = parseArgs({
      args: argv,
      options: Object.fromEntries(Object.keys(FLAGS).map((f) => [f, { type: 'string' as const }])),
      strict: true,
      allowPositionals: false,
    }).values as Record<string, string | undefined>;
  } catch (err) {
    throw new ConfigError(`invalid command line: ${(err as Error).message}; flags: ${Object.keys(FLAGS).map((f) => `--${f}`).join(' ')}`);
  }
  const input: Record<string, string | undefined> = {};
  for (const key of Object.keys(Config.shape)) if (env[key] !== undefined && env[key] !== '') input[key] = env[key];
  for (const [flag, key] of Object.entries(FLAGS)) if (values[flag] !== undefined) input[key] = values[flag];
  const parsed = Config.safeParse(input);
  if (!parsed.success) {
    throw new ConfigError(`invalid configuration:\n${parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n')}`);
  }
  if (parsed.data.RENEW_DEADLINE_MS >= parsed.data.LEASE_DURATION_MS) {
    throw new ConfigError('invalid configuration:\n  RENEW_DEADLINE_MS: must be less than LEASE_DURATION_MS');
  }
  return Object.freeze(parsed.data);
}
