// Warm pools on the real cluster, the operator outside it under exactly its RBAC: a pool reaches its replicas of
// dormant pods; a claim adopts one without restarting it, delivers the user's session key and env through
// /api/init (the init key is refused afterwards, as is another workspace's key), and the pool replenishes; many
// concurrent claims never share a pod and the surplus starts cold (ColdStart); a restarted claimed container is
// initialized again with the same key; deleting the pool leaves claimed workspaces running.
import { describe, it, expect } from '@jest/globals';
import {
  getOrUndefined, readyOf, sessionKeyOf, waitForReason, waitUntil, useOperatorInNamespace, type Workspace,
} from '../../operator/src/e2e.testkit.js';
import { resourcePath, type KubeObject } from '../../operator/src/kube/client.js';
import { startScriptedOpenAIServer } from '@agentworkspace/sdk';
import { KubernetesWorkspace } from '@agentworkspace/sdk/kubernetes';
import { agentws, agentwsEnv } from '../support/agentws.js';
import { MODEL_BIND, MODEL_HOST, ensureCluster, podman } from '../support/cluster.js';

// Its own ServiceAccount: the warm-pool rules (operator/rbac-warm-pools.yaml) must not reach the other files' operator.
const cluster = useOperatorInNamespace('aw-pool', { serviceAccount: 'agent-workspace-operator-pools', warmPools: true });
const GROUP = 'agentworkspace.dev/v1alpha1';

type Pod = KubeObject & { status?: { podIP?: string; containerStatuses?: Array<{ name: string; restartCount?: number; state?: { running?: { startedAt?: string } } }> } };
type Pool = KubeObject & { spec: { replicas: number }; status?: { replicas?: number; readyReplicas?: number; warmingReplicas?: number; conditions?: Array<{ type: string; reason: string }> } };

const poolPath = (name?: string) => resourcePath(GROUP, 'AgentWorkspacePool', cluster.namespace, name);
const getPool = (name: string) => cluster.client.get<Pool>(poolPath(name));
const podsOf = async (pool: string) =>
  (await cluster.client.list<Pod>(resourcePath('v1', 'Pod', cluster.namespace), `agentworkspace.dev/pool=${pool}`)).items.filter((p) => !p.metadata?.deletionTimestamp);
const getPod = (name: string) => getOrUndefined<Pod>(cluster.client, resourcePath('v1', 'Pod', cluster.namespace, name));
const started = (p: Pod) => p.status?.containerStatuses?.find((c) => c.name === 'agent-server');
const pooled = (ws: Workspace) => (ws.status?.conditions as Array<{ type: string; status: string; reason: string }> | undefined)?.find((c) => c.type === 'Pooled');

async function createPool(name: string, replicas: number): Promise<void> {
  await cluster.client.create({ apiVersion: GROUP, kind: 'AgentWorkspacePool', metadata: { name, namespace: cluster.namespace }, spec: { replicas, template: { resources: { requests: { cpu: '10m', memory: '64Mi' } } } } } as KubeObject);
}

/** Waits until the pool reports `replicas` ready warm pods, and the API shows exactly that many. */
async function waitForWarm(name: string, replicas: number): Promise<Pod[]> {
  await waitUntil(async () => {
    const p = await getPool(name);
    return p.status?.readyReplicas === replicas && p.status.replicas === replicas && p.status.conditions?.[0]?.reason === 'Warm';
  }, `pool ${name} to have ${replicas} ready warm pods`, 240_000);
  return podsOf(name);
}

const claim = (name: string, pool: string, extra: Record<string, unknown> = {}) =>
  cluster.client.create({ apiVersion: GROUP, kind: 'AgentWorkspace', metadata: { name, namespace: cluster.namespace }, spec: { poolRef: { name: pool }, ...extra } } as KubeObject);

async function api(ws: Workspace, path: string, init: { method?: string; key?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<Response> {
  return fetch(`http://${ws.status!.podIP}:8000${path}`, {
    method: init.method ?? 'GET',
    headers: { 'content-type': 'application/json', ...(init.key ? { 'X-Session-API-Key': init.key } : {}), ...init.headers },
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
}

async function bash(ws: Workspace, key: string, command: string): Promise<string> {
  const res = await api(ws, '/api/bash/execute_bash_command', { method: 'POST', key, body: { command, timeout: 30 } });
  expect(res.status).toBe(200);
  return JSON.stringify(await res.json());
}

async function initKeyOf(pod: string): Promise<string> {
  const s = await cluster.client.get<KubeObject & { data: Record<string, string> }>(resourcePath('v1', 'Secret', cluster.namespace, `${pod}-init`));
  return Buffer.from(s.data.initKey!, 'base64').toString('utf8');
}

describe('a warm pool and a claim', () => {
  let warm: Pod[];
  let ws: Workspace;
  let key: string;

  it('keeps replicas dormant warm pods ready; a warm pod serves nothing but /api/init', async () => {
    await createPool('warm', 2);
    warm = await waitForWarm('warm', 2);
    expect(warm).toHaveLength(2);
    const pod = warm[0]!;
    // The init key reaches the container from its Secret, never as a literal in the pod spec.
    const env = (pod.spec as { containers: Array<{ env: Array<{ name: string; value?: string; valueFrom?: unknown }> }> }).containers[0]!.env;
    expect(env.find((e) => e.name === 'OH_SECRET_KEY')).toEqual({ name: 'OH_SECRET_KEY', valueFrom: { secretKeyRef: { name: `${pod.metadata!.name}-init`, key: 'initKey' } } });
    expect(env.some((e) => e.name.startsWith('OH_SESSION_API_KEYS'))).toBe(false);
    const base = `http://${pod.status!.podIP}:8000`;
    expect(await (await fetch(`${base}/api/init`)).json()).toEqual({ state: 'dormant', error: null });
    expect((await fetch(`${base}/api/bash/bash_events/search`)).status).toBe(503);
    const scale = await cluster.client.get<KubeObject & { spec: { replicas: number }; status: { replicas: number; selector: string } }>(`${poolPath('warm')}/scale`);
    expect(scale.spec.replicas).toBe(2);
    expect(scale.status).toEqual({ replicas: 2, selector: 'app.kubernetes.io/managed-by=agent-workspace-operator,agentworkspace.dev/pool=warm' });
  });

  it('a claim is Ready on a warm pod without restarting it, with its own session key and env', async () => {
    await cluster.client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: cluster.namespace }, data: { COLOR: 'green' } } as KubeObject);
    await cluster.client.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'llm', namespace: cluster.namespace }, stringData: { apiKey: 'sk-pool-test', model: 'scripted/model' } } as KubeObject);
    const before = new Map(warm.map((p) => [p.metadata!.name!, started(p)]));
    await claim('alice', 'warm', {
      env: [{ name: 'GREETING', value: 'hello-from-alice' }],
      envFrom: [{ configMapRef: { name: 'settings' }, prefix: 'CFG_' }],
      llm: { secretName: 'llm' },
    });
    ws = await waitForReason(cluster.client, cluster.namespace, 'alice', 'Running');
    const podName = ws.status!.podName!;
    expect(before.has(podName)).toBe(true);
    expect(pooled(ws)).toMatchObject({ status: 'True', reason: 'Claimed' });
    const pod = (await getPod(podName))!;
    // The same container: not restarted, same start time.
    expect(started(pod)!.restartCount).toBe(0);
    expect(started(pod)!.state!.running!.startedAt).toBe(before.get(podName)!.state!.running!.startedAt);
    expect(pod.metadata!.labels).toMatchObject({ 'agentworkspace.dev/workspace': 'alice', 'app.kubernetes.io/instance': 'alice' });
    expect(pod.metadata!.labels!['agentworkspace.dev/pool']).toBeUndefined();
    expect(pod.metadata!.ownerReferences).toEqual([expect.objectContaining({ kind: 'AgentWorkspace', name: 'alice', uid: ws.metadata!.uid, controller: true })]);

    key = await sessionKeyOf(cluster.client, ws);
    expect((await api(ws, '/api/bash/bash_events/search', { key })).status).toBe(200);
    expect((await api(ws, '/api/bash/bash_events/search')).status).toBe(401);
    const out = await bash(ws, key, 'echo "G=$GREETING C=$CFG_COLOR K=${LLM_API_KEY:-unset}"');
    expect(out).toContain('G=hello-from-alice C=green');
    // The LLM key is the server's, not the terminal's.
    expect(out).toContain('K=unset');
    expect(out).not.toContain('sk-pool-test');
  });

  it('refuses the init key as a session key, a second init, and a wrong init key', async () => {
    const initKey = await initKeyOf(ws.status!.podName!);
    expect((await api(ws, '/api/bash/bash_events/search', { key: initKey })).status).toBe(401);
    const again = await api(ws, '/api/init', { method: 'POST', headers: { 'X-Init-API-Key': initKey }, body: { session_api_keys: ['attacker'] } });
    expect(again.status).toBe(400);
    const wrong = await api(ws, '/api/init', { method: 'POST', headers: { 'X-Init-API-Key': 'guess' }, body: { session_api_keys: ['attacker'] } });
    expect(wrong.status).toBe(401);
    expect((await api(ws, '/api/bash/bash_events/search', { key: 'attacker' })).status).toBe(401);
  });

  it('the pool replenishes to replicas, without the claimed pod', async () => {
    const pods = await waitForWarm('warm', 2);
    expect(pods.map((p) => p.metadata!.name)).not.toContain(ws.status!.podName);
  });

  it('a restarted claimed container is initialized again with the same session key', async () => {
    const pod = (await getPod(ws.status!.podName!))!;
    const container = `k8s_agent-server_${pod.metadata!.name}_${cluster.namespace}_${pod.metadata!.uid!.slice(0, 8)}`;
    const killed = await podman(['kill', container]);
    expect(killed.code).toBe(0);
    const back = await waitUntil(async () => {
      const w = await cluster.client.get<Workspace>(resourcePath(GROUP, 'AgentWorkspace', cluster.namespace, 'alice'));
      const p = await getPod(pod.metadata!.name!);
      const restarted = (started(p!)?.restartCount ?? 0) >= 1;
      return restarted && readyOf(w)?.reason === 'Running' && p!.metadata?.annotations?.['agentworkspace.dev/initialized-for']?.startsWith('1@') ? w : undefined;
    }, 'alice Running again after the restart');
    await waitUntil(async () => (await api(back, '/api/bash/bash_events/search', { key })).status === 200, 'the same session key to work again');
    expect(await bash(back, key, 'echo "G=$GREETING"')).toContain('G=hello-from-alice');
  });

  it('scales through the scale subresource, and rolls a template change over the idle pods only, never below replicas - 1 ready', async () => {
    await cluster.client.mergePatch({ apiVersion: GROUP, kind: 'AgentWorkspacePool', metadata: { name: 'warm', namespace: cluster.namespace } }, { spec: { replicas: 3 } }, 'scale');
    const before = await waitForWarm('warm', 3);
    const claimedUid = (await getPod(ws.status!.podName!))!.metadata!.uid;
    await cluster.client.mergePatch({ apiVersion: GROUP, kind: 'AgentWorkspacePool', metadata: { name: 'warm', namespace: cluster.namespace } }, { spec: { template: { podMetadata: { annotations: { revision: '2' } } } } });
    let minReady = Infinity;
    const old = new Set(before.map((p) => p.metadata!.name));
    const after = await waitUntil(async () => {
      const pods = await podsOf('warm');
      const ready = pods.filter((p) => (p.status as { conditions?: Array<{ type: string; status: string }> } | undefined)?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
      minReady = Math.min(minReady, ready.length);
      const done = ready.length === 3 && pods.length === 3 && pods.every((p) => !old.has(p.metadata!.name) && p.metadata!.annotations?.revision === '2');
      return done ? pods : undefined;
    }, 'the roll to finish', 240_000, 100);
    expect(after).toHaveLength(3);
    expect(minReady).toBeGreaterThanOrEqual(2);
    expect((await getPod(ws.status!.podName!))!.metadata!.uid).toBe(claimedUid);
    expect((await getPool('warm')).status?.conditions?.[0]?.reason).toBe('Warm');
    await cluster.client.mergePatch({ apiVersion: GROUP, kind: 'AgentWorkspacePool', metadata: { name: 'warm', namespace: cluster.namespace } }, { spec: { replicas: 2 } }, 'scale');
    await waitForWarm('warm', 2);
  });
});

describe('the SDK and agentws with a pool', () => {
  it('KubernetesWorkspace.create({ pool }) and agentws create --pool claim warm pods', async () => {
    const { kubeconfigPath } = await ensureCluster();
    const warm = new Set((await waitForWarm('warm', 2)).map((p) => p.metadata!.name));
    const workspace = await KubernetesWorkspace.create({ name: 'sdk-pooled', pool: 'warm', namespace: cluster.namespace, kubeconfig: kubeconfigPath, env: { WHO: 'sdk' } });
    try {
      expect(await workspace.execute('echo "who=$WHO"')).toMatchObject({ exitCode: 0, stdout: 'who=sdk\n' });
      const ws = await cluster.client.get<Workspace>(resourcePath(GROUP, 'AgentWorkspace', cluster.namespace, 'sdk-pooled'));
      expect(pooled(ws)).toMatchObject({ reason: 'Claimed' });
      expect(warm.has(ws.status!.podName!)).toBe(true);
    } finally {
      await workspace.close();
    }
    await expect(KubernetesWorkspace.create({ pool: 'warm', image: 'x', kubeconfig: kubeconfigPath })).rejects.toThrow(/image comes from the pool's template/);

    const env = agentwsEnv({ KUBECONFIG: kubeconfigPath });
    const created = await agentws(['create', '--pool', 'warm', '--name', 'cli-pooled', '-n', cluster.namespace, '--json'], env);
    expect(created.code).toBe(0);
    const ws = await cluster.client.get<Workspace>(resourcePath(GROUP, 'AgentWorkspace', cluster.namespace, 'cli-pooled'));
    expect(pooled(ws)).toMatchObject({ reason: 'Claimed' });
    expect((await agentws(['delete', 'cli-pooled', '-n', cluster.namespace], env)).code).toBe(0);
  });
});

describe('LLM credentials delivered by /api/init', () => {
  it('serve the agent\'s model calls (the server\'s own settings), and the terminal cannot read the key', async () => {
    const model = await startScriptedOpenAIServer({
      host: MODEL_BIND,
      apiKey: 'sk-pooled-llm',
      script: {
        turns: [
          { tool_calls: [{ name: 'terminal', arguments: { command: 'echo "key=${LLM_API_KEY:-unset}"' } }] },
          { tool_calls: [{ name: 'finish', arguments: { message: 'checked' } }], expect_tool_result_contains: 'key=unset' },
        ],
      },
    });
    try {
      const baseUrl = `http://${MODEL_HOST}:${new URL(model.url).port}/v1`;
      await cluster.client.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'scripted-llm', namespace: cluster.namespace }, stringData: { apiKey: 'sk-pooled-llm', model: 'openai/scripted', baseUrl } } as KubeObject);
      await waitForWarm('warm', 2);
      await claim('llm-user', 'warm', { llm: { secretName: 'scripted-llm' } });
      const ws = await waitForReason(cluster.client, cluster.namespace, 'llm-user', 'Running');
      expect(pooled(ws)).toMatchObject({ reason: 'Claimed' });
      const { kubeconfigPath } = await ensureCluster();
      // No model, key or URL on the client side: the server fills in what /api/init delivered.
      const run = await agentws(['run', 'llm-user', 'check the key', '-n', cluster.namespace], agentwsEnv({ KUBECONFIG: kubeconfigPath }));
      expect({ code: run.code, err: run.stderr.slice(-2000) }).toMatchObject({ code: 0 });
      expect(model.seenKeys).toEqual(new Set(['sk-pooled-llm']));
      expect(model.seenModels.length).toBeGreaterThanOrEqual(2);
    } finally {
      await model.close();
    }
  });
});

describe('concurrent claims, an empty pool, and deleting the pool', () => {
  const N = 6;
  const REPLICAS = 4;
  let claims: Workspace[];

  it(`${N} claims at once on a pool of ${REPLICAS}: no pod is shared, the surplus starts cold`, async () => {
    await createPool('race', REPLICAS);
    const warm = new Set((await waitForWarm('race', REPLICAS)).map((p) => p.metadata!.name));
    await Promise.all(Array.from({ length: N }, (_, i) => claim(`racer-${i}`, 'race')));
    claims = await Promise.all(Array.from({ length: N }, (_, i) => waitForReason(cluster.client, cluster.namespace, `racer-${i}`, 'Running', 240_000)));
    const pods = claims.map((w) => w.status!.podName!);
    expect(new Set(pods).size).toBe(N);
    const claimed = claims.filter((w) => pooled(w)?.reason === 'Claimed');
    const cold = claims.filter((w) => pooled(w)?.reason === 'ColdStart');
    expect(claimed.length + cold.length).toBe(N);
    expect(claimed.length).toBeLessThanOrEqual(REPLICAS);
    expect(cold.length).toBeGreaterThanOrEqual(N - REPLICAS);
    for (const w of claimed) expect(warm.has(w.status!.podName!)).toBe(true);
    for (const w of cold) {
      expect(w.status!.podName).toBe(w.metadata!.name);
      expect(pooled(w)).toMatchObject({ status: 'False', reason: 'ColdStart' });
    }
    // Each answers with its own key only.
    const keys = await Promise.all(claims.map((w) => sessionKeyOf(cluster.client, w)));
    for (const [i, w] of claims.entries()) {
      expect((await api(w, '/api/bash/bash_events/search', { key: keys[i] })).status).toBe(200);
      expect((await api(w, '/api/bash/bash_events/search', { key: keys[(i + 1) % N] })).status).toBe(401);
    }
  });

  it('deleting the pool removes its warm pods and leaves the claimed workspaces running', async () => {
    await cluster.client.delete({ apiVersion: GROUP, kind: 'AgentWorkspacePool', metadata: { name: 'race', namespace: cluster.namespace } }, { propagationPolicy: 'Foreground' });
    await waitUntil(async () => (await podsOf('race')).length === 0 && !(await getOrUndefined(cluster.client, poolPath('race'))), 'the pool and its warm pods to be gone');
    for (const w of claims) {
      const now = await cluster.client.get<Workspace>(resourcePath(GROUP, 'AgentWorkspace', cluster.namespace, w.metadata!.name!));
      expect(readyOf(now)).toMatchObject({ status: 'True', reason: 'Running' });
      expect((await getPod(w.status!.podName!))?.metadata?.deletionTimestamp).toBeUndefined();
    }
  });
});
