// The operator on the local cluster (bench/operator/run.sh brings it up): one workspace applied → Ready, 20 times,
// in phases; 50 at once on the test node, then deleted at once; 1,000 at once on kwok's fake nodes; and the
// operator idle with 1,000 suspended workspaces in its cache against none. The operator runs as a process
// (operator/bin, under operator/rbac.yaml's rules through an impersonating kubeconfig) as in the e2e tier.
// PRINTS one table and writes bench/results/operator.json and .md; asserts nothing about durations.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { API_VERSION, KIND } from '../../operator/src/api/agentworkspace.js';
import {
  createNamespace, installCrd, installOperatorRbac, readyOf, setUpCluster, startOperator, workspacePath,
  type OperatorProcess, type Workspace,
} from '../../operator/src/cluster.testkit.js';
import type { KubeClient } from '../../operator/src/kube/client.js';
import { ensureCluster } from '../../test/support/cluster.js';
import { rssBytes } from '../../test/support/processes.js';
import { describeMachine, sampleLoad } from '../lib/machine.js';
import { writeResults } from '../lib/results.js';
import { median, ms, percentile } from '../lib/stats.js';
import { onKwokNodes, startKwok, type Kwok } from './kwok.js';
import { onCleanup, runBench } from '../lib/run-bench.js';
import { until } from '../lib/until.js';

const SINGLES = Number(process.env.BENCH_SINGLES ?? 20);
const BATCH = Number(process.env.BENCH_BATCH ?? 50);
const KWOK_WORKSPACES = Number(process.env.BENCH_KWOK ?? 1000);
const SUSPENDED = Number(process.env.BENCH_SUSPENDED ?? 1000);
/** Which parts run (single, batch, kwok, suspended); default all. */
const PARTS = new Set((process.env.BENCH_PARTS ?? 'single,batch,kwok,suspended').split(','));
const KWOK_NODES = 10;
const IDLE_WINDOW_MS = 30_000;
const CREATE_CONCURRENCY = 25;
const MiB = 1024 * 1024;
const CHILD_SELECTOR = 'app.kubernetes.io/managed-by=agent-workspace-operator';

const raw: Record<string, unknown> = {};

function workspace(namespace: string, name: string, spec: Record<string, unknown> = {}): Workspace {
  return { apiVersion: API_VERSION, kind: KIND, metadata: { name, namespace }, spec };
}

const isReady = (ws: Workspace) => readyOf(ws)?.status === 'True' && ws.status?.observedGeneration === ws.metadata?.generation;

/** The operator's counters that matter here. */
async function counters(op: OperatorProcess): Promise<{ reconciles: number; reconcileSeconds: number; apiRequests: number }> {
  return {
    reconciles: await op.metric('agentworkspace_reconcile_duration_seconds_count'),
    reconcileSeconds: await op.metric('agentworkspace_reconcile_duration_seconds_sum'),
    apiRequests: await op.metric('agentworkspace_kube_requests_total'),
  };
}
const delta = (a: Awaited<ReturnType<typeof counters>>, b: Awaited<ReturnType<typeof counters>>) => ({
  reconciles: b.reconciles - a.reconciles, reconcileSeconds: b.reconcileSeconds - a.reconcileSeconds, apiRequests: b.apiRequests - a.apiRequests,
});

/** utime + stime of a process, in seconds (USER_HZ 100). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Runs `fn` over `items` with at most `limit` at a time. */
async function pool<T>(items: T[], limit: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++] as T);
  }));
}


async function childrenLeft(client: KubeClient, namespace: string): Promise<number> {
  let left = 0;
  for (const kind of ['pods', 'services', 'secrets']) left += (await client.list(`/api/v1/namespaces/${namespace}/${kind}`, CHILD_SELECTOR)).items.length;
  return left;
}

interface Single { applyToReady: number; phases: Record<string, number>; statusPhases: Record<string, number>; reconciles: number; reconcileMs: number; apiRequests: number }

/** One workspace: applied, observed every 50 ms until Ready, then deleted and its children waited away. */
async function single(client: KubeClient, op: OperatorProcess, namespace: string, name: string): Promise<Single> {
  const before = await counters(op);
  const t0 = performance.now();
  await client.create(workspace(namespace, name));
  const seen: Record<string, number> = {};
  const ws = await until(`${name} Ready`, 300_000, 50, async () => {
    const w = await client.get<Workspace>(workspacePath(namespace, name));
    const now = performance.now() - t0;
    for (const field of ['createdAt', 'scheduledAt', 'startedAt']) if (w.status?.[field] && seen[field] === undefined) seen[field] = now;
    return isReady(w) ? ((seen.readyAt = now), w) : undefined;
  });
  const after = await counters(op);
  const d = delta(before, after);
  const at = (field: string) => Date.parse(String(ws.status?.[field] ?? ws.metadata?.creationTimestamp));
  const applied = Date.parse(String(ws.metadata?.creationTimestamp));
  const result: Single = {
    applyToReady: seen.readyAt as number,
    phases: {
      'applied → pod created': seen.createdAt ?? NaN,
      'pod created → scheduled': (seen.scheduledAt ?? NaN) - (seen.createdAt ?? NaN),
      'scheduled → container started': (seen.startedAt ?? NaN) - (seen.scheduledAt ?? NaN),
      'container started → Ready': (seen.readyAt as number) - (seen.startedAt ?? NaN),
    },
    statusPhases: {
      'applied → pod created': at('createdAt') - applied,
      'pod created → scheduled': at('scheduledAt') - at('createdAt'),
      'scheduled → container started': at('startedAt') - at('scheduledAt'),
      'container started → Ready': at('readyAt') - at('startedAt'),
    },
    reconciles: d.reconciles, reconcileMs: d.reconcileSeconds * 1000, apiRequests: d.apiRequests,
  };
  await client.request('DELETE', workspacePath(namespace, name));
  await until(`${name}'s children gone`, 120_000, 100, async () => ((await childrenLeft(client, namespace)) === 0 ? true : undefined));
  return result;
}

interface Batch { count: number; allReadyMs: number; reconcilesPerSecond: number; apiRequestsPerWorkspace: number; reconcileMsPerWorkspace: number; rssMiB: number; deleteAllGoneMs?: number }

/** `count` workspaces created at once (25 requests in flight); time until every one is Ready; optionally deleted at once. */
async function batch(client: KubeClient, op: OperatorProcess, namespace: string, prefix: string, count: number, spec: Record<string, unknown>,
  ready: (w: Workspace) => boolean, deleteAfter: boolean): Promise<Batch> {
  const names = Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
  const pid = op.proc.pid as number;
  let peakRss = rssBytes(pid);
  const before = await counters(op);
  const t0 = performance.now();
  await pool(names, CREATE_CONCURRENCY, (name) => client.create(workspace(namespace, name, spec)));
  const allReadyMs = await until(`${count} workspaces ready`, 30 * 60_000, 500, async () => {
    peakRss = Math.max(peakRss, rssBytes(pid));
    const list = await client.list<Workspace>(workspacePath(namespace));
    const done = list.items.filter((w) => w.metadata?.name?.startsWith(`${prefix}-`) && ready(w)).length;
    return done === count ? performance.now() - t0 : undefined;
  });
  const d = delta(before, await counters(op));
  const result: Batch = {
    count, allReadyMs, reconcilesPerSecond: d.reconciles / (allReadyMs / 1000), apiRequestsPerWorkspace: d.apiRequests / count,
    reconcileMsPerWorkspace: (d.reconcileSeconds * 1000) / count, rssMiB: peakRss / MiB,
  };
  if (deleteAfter) {
    const t1 = performance.now();
    await pool(names, CREATE_CONCURRENCY, (name) => client.request('DELETE', workspacePath(namespace, name)));
    result.deleteAllGoneMs = await until('every child gone', 10 * 60_000, 250, async () => ((await childrenLeft(client, namespace)) === 0 ? performance.now() - t1 : undefined));
  }
  return result;
}

/** RSS (median of samples every second) and CPU share of the operator over the idle window. */
async function idle(op: OperatorProcess): Promise<{ rssMiB: number; cpuPercent: number }> {
  const pid = op.proc.pid as number;
  const rss: number[] = [];
  const cpu0 = cpuSeconds(pid);
  const t0 = performance.now();
  while (performance.now() - t0 < IDLE_WINDOW_MS) {
    rss.push(rssBytes(pid) / MiB);
    await new Promise((r) => setTimeout(r, 1_000));
  }
  return { rssMiB: median(rss), cpuPercent: ((cpuSeconds(pid) - cpu0) / ((performance.now() - t0) / 1000)) * 100 };
}

async function freshOperator(kubeconfig: string, namespace: string): Promise<OperatorProcess> {
  const op = startOperator({ kubeconfig, namespaces: [namespace], env: { LOG_LEVEL: 'info' } });
  onCleanup(() => op.stop());
  await op.healthPort();
  await until('the operator to lead and sync', 60_000, 200, async () => ((await op.metric('agentworkspace_leader')) === 1 ? true : undefined));
  return op;
}

const p = (values: number[]) => `${ms(percentile(values, 50))} / ${ms(percentile(values, 99))}`;

async function singles(client: KubeClient, kubeconfig: string, rows: string[][]): Promise<void> {
  const ns = await createNamespace(client, 'bench-single');
  onCleanup(ns.remove);
  const op = await freshOperator(kubeconfig, ns.name);
  const runs: Single[] = [];
  await single(client, op, ns.name, 'warm-up'); // the operator's JIT, the node's first start of the image
  for (let i = 0; i < SINGLES; i++) {
    runs.push(await single(client, op, ns.name, `single-${i}`));
    console.log(`single ${i + 1}/${SINGLES}: ${ms(runs.at(-1)?.applyToReady as number)}`);
  }
  raw.singles = runs;
  rows.push([`apply → Ready, one workspace (p50 / p99, N=${SINGLES})`, p(runs.map((s) => s.applyToReady))]);
  for (const phase of Object.keys(runs[0]?.phases ?? {})) {
    rows.push([`  ${phase} (observed; p50 / p99)`, p(runs.map((s) => s.phases[phase] as number))]);
    rows.push([`  ${phase} (status timestamps, 1 s resolution; p50 / p99)`, p(runs.map((s) => s.statusPhases[phase] as number))]);
  }
  rows.push(['  operator: reconciles per workspace (p50)', String(median(runs.map((s) => s.reconciles)))]);
  rows.push(['  operator: reconcile time per workspace (p50 / p99)', p(runs.map((s) => s.reconcileMs))]);
  rows.push(['  operator: API requests per workspace (p50 / p99)', `${median(runs.map((s) => s.apiRequests))} / ${percentile(runs.map((s) => s.apiRequests), 99)}`]);
  await op.stop();
  await ns.remove();
}

function batchRows(rows: string[][], label: string, b: Batch): void {
  rows.push([`${b.count} workspaces applied at once (${label}): until all Ready`, ms(b.allReadyMs)]);
  rows.push(['  reconciles per second / API requests per workspace / reconcile time per workspace',
    `${b.reconcilesPerSecond.toFixed(1)}/s / ${b.apiRequestsPerWorkspace.toFixed(1)} / ${ms(b.reconcileMsPerWorkspace)}`]);
  rows.push(['  operator peak RSS', `${b.rssMiB.toFixed(0)} MiB`]);
}

async function batchOnNode(client: KubeClient, kubeconfig: string, rows: string[][]): Promise<void> {
  const ns = await createNamespace(client, 'bench-batch');
  onCleanup(ns.remove);
  const op = await freshOperator(kubeconfig, ns.name);
  const b = await batch(client, op, ns.name, 'batch', BATCH, {}, isReady, true);
  raw.batch = b;
  batchRows(rows, 'test node', b);
  rows.push([`  all ${BATCH} deleted at once: until every child (pod, Service, Secret) is gone`, ms(b.deleteAllGoneMs as number)]);
  await op.stop();
  await ns.remove();
}

async function onKwok(client: KubeClient, kubeconfig: string, rows: string[][], notes: string[]): Promise<void> {
  let kwok: Kwok;
  try {
    kwok = await startKwok(client, (await ensureCluster()).kubeconfigPath, KWOK_NODES, Math.ceil((KWOK_WORKSPACES * 1.1) / KWOK_NODES));
  } catch (err) {
    notes.push(`kwok did not start, so the ${KWOK_WORKSPACES}-workspace figures are missing: ${String(err).slice(0, 300)}`);
    return;
  }
  onCleanup(() => kwok.stop());
  const ns = await createNamespace(client, 'bench-kwok');
  onCleanup(ns.remove);
  const op = await freshOperator(kubeconfig, ns.name);
  const k = await batch(client, op, ns.name, 'kwok', KWOK_WORKSPACES, onKwokNodes, isReady, true);
  raw.kwok = k;
  batchRows(rows, `kwok, ${KWOK_NODES} fake nodes`, k);
  rows.push([`  all ${KWOK_WORKSPACES} deleted at once: until every child is gone`, ms(k.deleteAllGoneMs as number)]);
  await op.stop();
  await ns.remove();
  await kwok.stop();
}

async function suspendedIdle(client: KubeClient, kubeconfig: string, rows: string[][]): Promise<void> {
  const ns = await createNamespace(client, 'bench-suspended');
  onCleanup(ns.remove);
  const op = await freshOperator(kubeconfig, ns.name);
  const empty = await idle(op);
  const isSuspended = (w: Workspace) => readyOf(w)?.reason === 'Suspended' && w.status?.observedGeneration === w.metadata?.generation;
  const s = await batch(client, op, ns.name, 'suspended', SUSPENDED, { suspended: true }, isSuspended, false);
  const full = await idle(op);
  raw.suspended = { empty, full, batch: s };
  rows.push([`operator idle, no workspaces: RSS / CPU (${IDLE_WINDOW_MS / 1000} s)`, `${empty.rssMiB.toFixed(0)} MiB / ${empty.cpuPercent.toFixed(2)} %`]);
  rows.push([`operator idle, ${SUSPENDED} suspended workspaces: RSS / CPU`, `${full.rssMiB.toFixed(0)} MiB / ${full.cpuPercent.toFixed(2)} %`]);
  rows.push(['  memory per workspace in the cache', `${(((full.rssMiB - empty.rssMiB) * 1024) / SUSPENDED).toFixed(1)} KiB`]);
  rows.push([`  ${SUSPENDED} suspended applied at once: until all Suspended / API requests per workspace`, `${ms(s.allReadyMs)} / ${s.apiRequestsPerWorkspace.toFixed(1)}`]);
  await op.stop();
  await ns.remove();
}

async function main(): Promise<void> {
  const load = sampleLoad();
  const client = await setUpCluster();
  await installCrd(client);
  const kubeconfig = await installOperatorRbac(client);
  const rows: string[][] = [];
  const notes: string[] = [];
  // 1. One workspace at a time, 20 times.
  if (PARTS.has('single')) await singles(client, kubeconfig, rows);
  // 2. 50 at once on the test node, then deleted at once.
  if (PARTS.has('batch')) await batchOnNode(client, kubeconfig, rows);
  // 3. 1,000 running workspaces on kwok's fake nodes, then deleted at once.
  if (PARTS.has('kwok')) await onKwok(client, kubeconfig, rows, notes);
  // 4. Idle with 1,000 suspended workspaces in the cache against none (the same operator process).
  if (PARTS.has('suspended')) await suspendedIdle(client, kubeconfig, rows);

  const machine = describeMachine(load.stop(), { kubernetes: 'v1.36.3 (local cluster)', kwok: process.env.KWOK_VERSION ?? 'v0.8.0' });
  writeResults('operator', {
    title: 'Operator on the local cluster',
    columns: ['Figure', 'Value'],
    rows,
    notes: [
      ...notes,
      'Applied = created through the API (what `kubectl apply` sends, without kubectl\'s own start-up); observed phases: when the workspace\'s status first shows createdAt, scheduledAt, startedAt and Ready=True, read every 50 ms; status timestamps are the API\'s (1 s resolution).',
      'Reconciles, reconcile time and API requests are the operator\'s own /metrics (agentworkspace_reconcile_duration_seconds, agentworkspace_kube_requests_total: every request but watches) between apply and Ready.',
      `The test node (the node agent) reports 16 CPU / 32 Gi / 110 pods: at the default requests (250m, 512Mi) it holds 64 workspaces, so ${BATCH} fit; what bounds their time is the machine's 2 cores starting ${BATCH} agent-server containers.`,
      `kwok: ${KWOK_NODES} fake nodes (tainted; the workspaces select and tolerate them), pods moved to Running and Ready by kwok's default stages, no containers: the operator, API server, scheduler and controller-manager are real.`,
      `Idle: RSS median of one sample a second and CPU share over ${IDLE_WINDOW_MS / 1000} s, the same operator process before and after ${SUSPENDED} suspended workspaces (each with its Secret and Service, the cluster's Service range widened to hold them).`,
    ],
  }, machine, raw);
}

runBench('operator bench', main);
