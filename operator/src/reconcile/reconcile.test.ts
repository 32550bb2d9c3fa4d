import { describe, it, expect } from '@jest/globals';
import { pino } from 'pino';
import { API_VERSION, KIND, type AgentWorkspaceSpecInput } from '../api/agentworkspace.js';
import { resourcePath, type KubeObject } from '../kube/client.js';
import { FakeKube } from '../kube/fake.testkit.js';
import { reconcile, type Caches, type ReconcileDeps } from './reconcile.js';

const NS = 'team';
const wsPath = resourcePath(API_VERSION, KIND, NS, 'w1');
const podPath = resourcePath('v1', 'Pod', NS, 'w1');
const svcPath = resourcePath('v1', 'Service', NS, 'w1');
const secretPath = resourcePath('v1', 'Secret', NS, 'w1-session-key');
const created = new Date('2026-01-01T00:00:00Z');

/** Caches that read the fake's store, i.e. informers that are fully up to date. */
function caches(kube: FakeKube): Caches {
  const cache = (apiVersion: string, kind: string) => ({
    get: (name: string, ns?: string) => kube.objects.get(resourcePath(apiVersion, kind, ns, name)),
    list: (ns?: string) => [...kube.objects.entries()].filter(([p]) => p.startsWith(`${resourcePath(apiVersion, kind, ns)}/`)).map(([, o]) => o),
  });
  return {
    workspaces: cache(API_VERSION, KIND),
    pools: cache(API_VERSION, 'AgentWorkspacePool'),
    pods: cache('v1', 'Pod'),
    services: cache('v1', 'Service'),
    pvcs: cache('v1', 'PersistentVolumeClaim'),
    networkPolicies: cache('networking.k8s.io/v1', 'NetworkPolicy'),
  };
}

function setup(spec: AgentWorkspaceSpecInput = {}) {
  const kube = new FakeKube();
  kube.seed(wsPath, { apiVersion: API_VERSION, kind: KIND, metadata: { name: 'w1', namespace: NS, creationTimestamp: created.toISOString() }, spec } as KubeObject);
  const events: string[] = [];
  let now = new Date(created.getTime() + 60_000);
  const deps = (attempts = 0): ReconcileDeps => ({
    client: kube,
    caches: caches(kube),
    settings: { serverImage: 'img:1', clusterDomain: 'cluster.local', terminationGracePeriodSeconds: 60, runAsUser: 10001 },
    log: pino({ level: 'silent' }),
    now: () => now,
    attempts,
    recordEvent: (_ws, type, reason) => events.push(`${type} ${reason}`),
    observeStatus: () => undefined,
  });
  const run = async (attempts = 0) => {
    kube.actions.length = 0;
    return reconcile(`${NS}/w1`, deps(attempts));
  };
  const status = () => kube.objects.get(wsPath)!.status as { conditions: Array<{ reason: string; status: string; message: string }>; url?: string };
  const reason = () => status().conditions[0]!.reason;
  const editSpec = (patch: Record<string, unknown>) => kube.request('PATCH', wsPath, { body: { spec: patch } });
  const setNow = (d: Date) => (now = d);
  return { kube, run, status, reason, events, editSpec, setNow };
}

const readyPod = (kube: FakeKube) => {
  const pod = kube.objects.get(podPath)!;
  pod.status = {
    phase: 'Running', podIP: '127.0.0.9',
    conditions: [{ type: 'PodScheduled', status: 'True' }, { type: 'Ready', status: 'True' }],
    containerStatuses: [{ name: 'agent-server', ready: true, state: { running: { startedAt: created.toISOString() } } }],
  };
};

describe('reconcile', () => {
  it('creates the Secret, Service and Pod of a new workspace, then writes status once', async () => {
    const t = setup();
    expect(await t.run()).toEqual({ requeueAfterMs: 24 * 3_600_000 - 60_000 });
    expect(t.kube.actions).toEqual([
      `POST ${resourcePath('v1', 'Secret', NS)}`,
      `POST ${resourcePath('v1', 'Service', NS)}`,
      `POST ${resourcePath('v1', 'Pod', NS)}`,
      `PATCH ${wsPath}/status`,
    ]);
    expect(t.reason()).toBe('Provisioning');
    expect(t.events).toEqual(['Normal Provisioning']);
  });

  it('does nothing when nothing changed (no writes, no status patch)', async () => {
    const t = setup();
    await t.run();
    await t.run();
    expect(t.kube.actions).toEqual([]);
  });

  it('reports Running with the url once the pod is ready', async () => {
    const t = setup();
    await t.run();
    readyPod(t.kube);
    await t.run();
    expect(t.kube.actions).toEqual([`PATCH ${wsPath}/status`]);
    expect(t.status()).toMatchObject({ url: 'http://w1.team.svc.cluster.local:8000', conditions: [{ status: 'True', reason: 'Running' }] });
  });

  it('keeps the generated session key across reconciles', async () => {
    const t = setup();
    await t.run();
    const key = t.kube.objects.get(secretPath)!.data;
    t.kube.objects.delete(podPath);
    await t.run();
    expect(t.kube.objects.get(secretPath)!.data).toEqual(key);
  });

  it('replaces the pod when the spec changes, then creates the new one', async () => {
    const t = setup();
    await t.run();
    const oldHash = t.kube.objects.get(podPath)!.metadata!.annotations!['agentworkspace.dev/spec-hash'];
    await t.editSpec({ env: [{ name: 'A', value: '1' }] });
    expect(await t.run()).toEqual({ requeueAfterMs: 5_000 });
    expect(t.kube.actions).toContain(`DELETE ${podPath}`);
    expect(t.events).toContain('Normal PodReplaced');
    await t.run();
    expect(t.kube.actions).toContain(`POST ${resourcePath('v1', 'Pod', NS)}`);
    expect(t.kube.objects.get(podPath)!.metadata!.annotations!['agentworkspace.dev/spec-hash']).not.toBe(oldHash);
  });

  it('restores a hand-edited Service spec', async () => {
    const t = setup();
    await t.run();
    await t.kube.request('PATCH', svcPath, { body: { spec: { selector: { app: 'other' } } } });
    await t.run();
    expect(t.kube.actions).toEqual([`PUT ${svcPath}`]);
    expect((t.kube.objects.get(svcPath)!.spec as { selector: Record<string, string> }).selector).toEqual({
      'app.kubernetes.io/managed-by': 'agent-workspace-operator', 'agentworkspace.dev/workspace': 'w1',
    });
  });

  it('never touches a same-named Service it does not own: ResourceConflict, terminal', async () => {
    const t = setup();
    t.kube.seed(svcPath, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'w1', namespace: NS }, spec: { selector: { app: 'x' } } });
    const before = structuredClone(t.kube.objects.get(svcPath));
    expect(await t.run()).toEqual({ terminal: true });
    expect(t.kube.objects.get(svcPath)).toEqual(before);
    expect(t.kube.actions).not.toContain(`POST ${resourcePath('v1', 'Pod', NS)}`);
    expect(t.reason()).toBe('ResourceConflict');
    expect(t.events).toEqual(['Warning ResourceConflict']);
  });

  it('deletes the pod when suspended and keeps Secret and Service', async () => {
    const t = setup();
    await t.run();
    await t.editSpec({ suspended: true });
    await t.run();
    expect(t.kube.actions).toEqual([`DELETE ${podPath}`, `PATCH ${wsPath}/status`]);
    expect(t.reason()).toBe('Suspended');
    expect(t.kube.objects.has(secretPath) && t.kube.objects.has(svcPath)).toBe(true);
  });

  it('deletes the pod past the lifetime, reads Expired and does not requeue', async () => {
    const t = setup({ lifetime: { maxLifetime: '1h' } });
    await t.run();
    t.setNow(new Date(created.getTime() + 3_600_000));
    expect(await t.run()).toEqual({});
    expect(t.kube.actions).toEqual([`DELETE ${podPath}`, `PATCH ${wsPath}/status`]);
    expect(t.reason()).toBe('Expired');
  });

  it('reads no Secret: a missing LLM Secret is what the pod reports, InvalidSpec until it exists', async () => {
    const t = setup({ llm: { secretName: 'nope' } });
    await t.run();
    expect(t.kube.actions.filter((a) => a.startsWith('GET'))).toEqual([]);
    const pod = t.kube.objects.get(podPath)!;
    pod.status = { phase: 'Pending', containerStatuses: [{ name: 'agent-server', state: { waiting: { reason: 'CreateContainerConfigError', message: 'secret "nope" not found' } } }] };
    await t.run();
    expect(t.kube.actions).toEqual([`PATCH ${wsPath}/status`]);
    expect(t.reason()).toBe('InvalidSpec');
    expect(t.status().conditions[0]!.message).toMatch(/spec\.llm\.secretName: Secret "nope" not found/);
    readyPod(t.kube);
    await t.run();
    expect(t.reason()).toBe('Running');
  });

  it('creates the session-key Secret again when the pod reports it deleted, and polls while it is broken', async () => {
    const t = setup();
    await t.run();
    t.kube.objects.delete(secretPath);
    const pod = t.kube.objects.get(podPath)!;
    pod.status = { phase: 'Pending', containerStatuses: [{ name: 'agent-server', state: { waiting: { reason: 'CreateContainerConfigError', message: 'secret "w1-session-key" not found' } } }] };
    expect(await t.run()).toEqual({ requeueAfterMs: 5_000 });
    expect(t.kube.actions[0]).toBe(`POST ${resourcePath('v1', 'Secret', NS)}`);
    expect(t.kube.objects.get(secretPath)!.metadata!.ownerReferences).toHaveLength(1);
    expect(t.reason()).toBe('Provisioning');
  });

  it('creates no session-key Secret while suspended, nor once the pod runs', async () => {
    const t = setup({ suspended: true });
    await t.run();
    expect(t.kube.objects.has(secretPath)).toBe(false);
    await t.editSpec({ suspended: false });
    await t.run();
    expect(t.kube.objects.has(secretPath)).toBe(true);
    readyPod(t.kube);
    await t.run();
    expect(t.kube.actions).toEqual([`PATCH ${wsPath}/status`]);
  });

  it('turns a pod the API server refuses (422) into InvalidSpec', async () => {
    const t = setup();
    t.kube.failNext('POST', '/pods', 422);
    expect(await t.run()).toEqual({ terminal: true });
    expect(t.reason()).toBe('InvalidSpec');
  });

  it('throws a transient error, and shows ReconcileError only once it persisted', async () => {
    const t = setup();
    t.kube.failNext('POST', '/services', 500);
    await expect(t.run(0)).rejects.toThrow(/500/);
    expect(t.reason()).toBe('Provisioning');
    t.kube.failNext('POST', '/services', 500);
    await expect(t.run(2)).rejects.toThrow(/500/);
    expect(t.reason()).toBe('ReconcileError');
  });

  it('retries the status write on a conflict against the fresh object', async () => {
    const t = setup();
    t.kube.failNext('PATCH', '/status', 409);
    await t.run();
    expect(t.kube.actions.filter((a) => a.includes('/status'))).toEqual([`PATCH ${wsPath}/status → 409`, `PATCH ${wsPath}/status`]);
    expect(t.reason()).toBe('Provisioning');
  });

  it('stops quietly when the workspace is gone', async () => {
    const t = setup();
    t.kube.objects.delete(wsPath);
    expect(await t.run()).toEqual({});
    expect(t.kube.actions).toEqual([]);
  });
});
