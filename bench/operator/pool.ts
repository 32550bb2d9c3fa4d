// Warm pools on the local cluster (bench/operator/run-pool.sh brings it up): claim → Ready and claim → first command
// accepted through the API server's service proxy, as the SDK does it (KubernetesWorkspace.create({ pool }) →
// execute), interleaved with the same for a cold apply, N times each; then 20 claims at once from a pool of 20.
// The operator runs as a process under operator/rbac.yaml's rules, as in the e2e tier. PRINTS one table and writes
// bench/results/pool.json and .md; asserts nothing about durations.
import { performance } from 'node:perf_hooks';
import { KubernetesWorkspace } from '@agentworkspace/sdk/kubernetes';
import { API_VERSION } from '../../operator/src/api/agentworkspace.js';
import {
  createNamespace, installCrd, installOperatorRbac, readyOf, setUpCluster, startOperator, workspacePath,
  type OperatorProcess, type Workspace,
} from '../../operator/src/cluster.testkit.js';
import { resourcePath, type KubeClient, type KubeObject } from '../../operator/src/kube/client.js';
import { ensureCluster } from '../../test/support/cluster.js';
import { describeMachine, sampleLoad } from '../lib/machine.js';
import { writeResults } from '../lib/results.js';
import { ms, percentile } from '../lib/stats.js';
import { onCleanup, runBench } from '../lib/run-bench.js';
import { until } from '../lib/until.js';

const N = Number(process.env.BENCH_POOL_CLAIMS ?? 50);
const CONCURRENT = Number(process.env.BENCH_POOL_CONCURRENT ?? 20);
/** Small requests, so that a pool of 20 and the cold pods fit the test node. */
const RESOURCES = { requests: { cpu: '10m', memory: '64Mi' } };

const raw: Record<string, unknown> = {};


const poolPath = (ns: string, name?: string) => resourcePath(API_VERSION, 'AgentWorkspacePool', ns, name);
const readyWarm = async (client: KubeClient, ns: string, name: string) => (await client.get<KubeObject & { status?: { readyReplicas?: number } }>(poolPath(ns, name))).status?.readyReplicas ?? 0;

interface Run {
  readyMs: number;
  firstCommandMs: number;
  /** Wall clock (epoch ms) of the call, for the operator's timeline (same machine, same clock). */
  calledAt: number;
  /** Of a warm claim: the operator's "claim timeline" marks, ms after the call. */
  phases?: Record<string, number>;
  /** Of a warm claim: the status the claiming pass wrote was Ready=True (no second pass needed). */
  readyInOnePass?: boolean;
}

/** One workspace through the SDK: create (pool or cold) → Ready as the SDK's watch sees it → the first command's answer. */
async function one(kubeconfig: string, ns: string, name: string, pool: string | undefined): Promise<Run> {
  let readyMs = NaN;
  const calledAt = Date.now();
  const t0 = performance.now();
  const workspace = await KubernetesWorkspace.create({
    name, namespace: ns, kubeconfig, connect: 'proxy', ...(pool ? { pool } : { resources: RESOURCES }),
    onProgress: (p) => { if (p.status === 'True') readyMs = performance.now() - t0; },
  });
  try {
    const out = await workspace.execute('true');
    const firstCommandMs = performance.now() - t0;
    if (out.exitCode !== 0) throw new Error(`${name}: the first command failed`);
    return { readyMs, firstCommandMs, calledAt };
  } finally {
    await workspace.close(); // deletes the workspace (keepAlive false)
  }
}

/**
 * The operator's timeline of a claim (reconcile.ts logs one "claim timeline" line per pass that claimed or
 * initialized a pod), as ms after the SDK's call: queued (the informer's event reached the work queue), start
 * (a worker took the key), sessionKey, service, claimed (the pod's adopting patch answered), initSent,
 * initAnswered (/api/init), annotated, status (written).
 */
function claimTimeline(logs: string, workspace: string, calledAt: number): { phases: Record<string, number>; ready: boolean } | undefined {
  for (const line of logs.split('\n')) {
    if (!line.includes('"claim timeline"') || !line.includes(`"workspace":"${workspace}"`)) continue;
    const entry = JSON.parse(line) as { timeline: Record<string, number>; ready?: string };
    return { phases: Object.fromEntries(Object.entries(entry.timeline).map(([k, at]) => [k, at - calledAt])), ready: entry.ready === 'True' };
  }
  return undefined;
}

/** The timeline marks in the order a claim passes them (before any reordering), then the SDK's own. */
const PHASES: Array<[string, string]> = [
  ['queued', 'the operator\'s informer saw it (queued)'],
  ['start', 'a worker started the reconcile'],
  ['sessionKey', 'session-key Secret created'],
  ['service', 'Service created'],
  ['claimed', 'warm pod adopted (patch answered)'],
  ['initSent', 'init key read, /api/init sent'],
  ['initAnswered', '/api/init answered'],
  ['annotated', 'pod annotated initialized-for'],
  ['status', 'status written (Ready=True)'],
  ['ready', 'the SDK\'s watch saw Ready=True'],
];

async function main(): Promise<void> {
  const load = sampleLoad();
  const client = await setUpCluster();
  const { kubeconfigPath } = await ensureCluster();
  await installCrd(client);
  const operatorKubeconfig = await installOperatorRbac(client, 'agent-workspace-operator-pools', { warmPools: true });
  const ns = await createNamespace(client, 'bench-pool');
  onCleanup(ns.remove);
  const op: OperatorProcess = startOperator({ kubeconfig: operatorKubeconfig, namespaces: [ns.name], env: { LOG_LEVEL: 'info' } });
  onCleanup(() => op.stop());
  await op.healthPort();
  const rows: string[][] = [];

  // 1. N warm claims interleaved with N cold applies (each waits for one ready warm pod first; the pool replenishes).
  await client.create({ apiVersion: API_VERSION, kind: 'AgentWorkspacePool', metadata: { name: 'bench', namespace: ns.name }, spec: { replicas: 2, template: { resources: RESOURCES } } } as KubeObject);
  await until('the pool warm', 300_000, 100, async () => ((await readyWarm(client, ns.name, 'bench')) >= 2 ? true : undefined));
  await one(kubeconfigPath, ns.name, 'warm-up-cold', undefined);
  await one(kubeconfigPath, ns.name, 'warm-up-warm', 'bench');
  const warm: Run[] = [];
  const cold: Run[] = [];
  for (let i = 0; i < N; i++) {
    await until('a ready warm pod', 300_000, 50, async () => ((await readyWarm(client, ns.name, 'bench')) >= 1 ? true : undefined));
    const run = await one(kubeconfigPath, ns.name, `warm-${i}`, 'bench');
    const timeline = claimTimeline(op.logs(), `${ns.name}/warm-${i}`, run.calledAt);
    if (timeline) Object.assign(run, { phases: { ...timeline.phases, ready: run.readyMs }, readyInOnePass: timeline.ready });
    warm.push(run);
    cold.push(await one(kubeconfigPath, ns.name, `cold-${i}`, undefined));
    console.log(`${i + 1}/${N}: warm ${ms(warm.at(-1)!.readyMs)} / ${ms(warm.at(-1)!.firstCommandMs)}, cold ${ms(cold.at(-1)!.readyMs)} / ${ms(cold.at(-1)!.firstCommandMs)}`);
  }
  raw.warm = warm;
  raw.cold = cold;
  const p = (values: number[]) => `${ms(percentile(values, 50))} / ${ms(percentile(values, 99))}`;
  rows.push([`warm claim → Ready=True (SDK watch; p50 / p99, N=${N})`, p(warm.map((r) => r.readyMs)), p(cold.map((r) => r.readyMs))]);
  rows.push([`claim → first command answered (service proxy; p50 / p99, N=${N})`, p(warm.map((r) => r.firstCommandMs)), p(cold.map((r) => r.firstCommandMs))]);
  const timed = warm.filter((r) => r.phases);
  for (const [mark, what] of PHASES) {
    const values = timed.map((r) => r.phases![mark]).filter((v): v is number => v !== undefined);
    if (values.length) rows.push([`↳ call → ${what} (p50 / p99, ${values.length} of ${N})`, p(values), '']);
  }
  const onePass = timed.filter((r) => r.readyInOnePass).length;
  rows.push([`↳ claims whose first reconcile wrote Ready=True`, `${onePass} of ${timed.length}`, '']);

  // 2. CONCURRENT claims at once from a pool of CONCURRENT.
  await client.mergePatch({ apiVersion: API_VERSION, kind: 'AgentWorkspacePool', metadata: { name: 'bench', namespace: ns.name } }, { spec: { replicas: CONCURRENT } });
  await until(`the pool at ${CONCURRENT} ready`, 600_000, 200, async () => ((await readyWarm(client, ns.name, 'bench')) >= CONCURRENT ? true : undefined));
  const names = Array.from({ length: CONCURRENT }, (_, i) => `burst-${i}`);
  const t0 = performance.now();
  await Promise.all(names.map((name) => client.create({ apiVersion: API_VERSION, kind: 'AgentWorkspace', metadata: { name, namespace: ns.name }, spec: { poolRef: { name: 'bench' } } } as KubeObject)));
  const allReadyMs = await until(`${CONCURRENT} claims Ready`, 600_000, 20, async () => {
    const list = await client.list<Workspace>(workspacePath(ns.name));
    const ready = list.items.filter((w) => w.metadata?.name?.startsWith('burst-') && readyOf(w)?.status === 'True');
    return ready.length === CONCURRENT ? { ms: performance.now() - t0, items: ready } : undefined;
  });
  const claimed = allReadyMs.items.filter((w) => (w.status?.conditions as Array<{ type: string; reason: string }>).some((c) => c.type === 'Pooled' && c.reason === 'Claimed')).length;
  raw.concurrent = { count: CONCURRENT, allReadyMs: allReadyMs.ms, claimed };
  rows.push([`${CONCURRENT} claims at once from a pool of ${CONCURRENT}: until all Ready (${claimed} warm)`, ms(allReadyMs.ms), '']);

  const machine = describeMachine(load.stop(), { kubernetes: 'v1.36.3 (local cluster)' });
  writeResults('pool', {
    title: 'Warm pools on the local cluster',
    columns: ['Figure', 'Warm (pool)', 'Cold apply'],
    rows,
    notes: [
      'Each run is the SDK\'s KubernetesWorkspace.create({ pool }) (or without pool: a cold apply) from outside the cluster: the AgentWorkspace is created, the SDK\'s watch sees Ready=True (first column), it reads the session key, starts its loopback forwarder to the API server\'s service proxy, and execute(\'true\') answers (second row). Warm and cold runs alternate; each warm claim waits for a ready warm pod first.',
      'A warm claim: the operator adopts a ready dormant pod (one resourceVersion-guarded metadata patch) while it creates the session-key Secret and the Service and reads the pod\'s init key, POSTs /api/init to it with the session key and env, and writes Ready beside the pod\'s initialized-for annotation: one reconcile pass, three round trips on its path; no container starts. A cold apply starts the server container (the local node agent, podman).',
      'The ↳ rows break a warm claim down by the operator\'s "claim timeline" log line (reconcile.ts: epoch-ms marks of the pass that claimed the pod, on the same machine\'s clock as the benchmark): each is the time from the SDK\'s call to that mark (cumulative, so overlapping steps stay comparable). "queued" is when the AgentWorkspace\'s add event reached the operator\'s work queue, so call → queued is the SDK\'s create request plus the watch delivery; queued → start is the queue\'s wait.',
      `Concurrent: ${CONCURRENT} AgentWorkspaces with poolRef created at once, polled every 20 ms; the pool replenishes meanwhile (${CONCURRENT} new warm pods compete for the machine's 2 cores).`,
    ],
  }, machine, raw);
}

runBench('pool bench', main);
