// The whole journey of a user, as one test, on a real cluster with the real images:
//   1. the chart installed with helm (two operator replicas, one leading);
//   2. `kubectl apply -f examples/agentworkspace.yaml`, `kubectl wait --for=condition=Ready`, `kubectl get aw`;
//   3. KubernetesWorkspace.attach from outside the cluster (the API server's proxy); a conversation with the
//      scripted model (served on the host, reached from the pod) edits a file and runs a command, every event
//      streamed; the SDK downloads the file;
//   4. the leading operator pod is deleted mid-conversation: the other replica leads and reconciles a suspend and
//      a resume made after the fail-over; the conversation is unaffected;
//   5. the workspace pod is deleted: with persistent storage it comes back with the conversation and its files,
//      and the SDK resumes the conversation and runs it again;
//   6. the workspace is deleted: every child is gone.
//
// Everything cluster-specific comes from the environment, so it runs on kind or any cluster as well as on the
// local one (test/e2e/README.md): AGENTWORKSPACE_KUBECONFIG (default: the local cluster), SERVER_IMAGE and
// OPERATOR_IMAGE (default: the local builds), E2E_MODEL_HOST (the host's address as the pods see it;
// default 10.0.2.2, the local cluster's) and E2E_MODEL_BIND (where the scripted model listens; default
// 127.0.0.1, which the local cluster's pods reach; 0.0.0.0 for kind).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { resumeConversation, startConversation, startScriptedOpenAIServer, type AgentSpecInput, type Conversation, type Event, type ScriptedServer } from '@agentworkspace/sdk';
import { KubernetesWorkspace } from '@agentworkspace/sdk/kubernetes';
import {
  ROOT, SERVER_IMAGE, createNamespace, getOrUndefined, readyOf, setUpCluster, waitForReason, waitUntil, workspacePath, type Workspace,
} from '../../operator/src/e2e.testkit.js';
import { resourcePath, type KubeClient, type KubeObject } from '../../operator/src/kube/client.js';
import { MODEL_BIND, MODEL_HOST, OPERATOR_IMAGE, ensureCluster, helm, kubectl, run, type Cluster } from '../support/cluster.js';

const CHART = join(ROOT, 'charts/agentworkspace-operator');
const RELEASE = 'journey';
const NOTES = '# Journey\n\nwritten by the agent\n';

let client: KubeClient;
let cluster: Cluster;
let namespace = '';
let removeNamespace: (() => Promise<void>) | undefined;
let model: ScriptedServer;
let workspace: KubernetesWorkspace | undefined;

const fail = (what: string, r: { code: number; stdout: string; stderr: string }) => new Error(`${what} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
const ok = async (what: string, pending: Promise<{ code: number; stdout: string; stderr: string }>) => {
  const r = await pending;
  if (r.code !== 0) throw fail(what, r);
  return r.stdout;
};

beforeAll(async () => {
  client = await setUpCluster();
  cluster = await ensureCluster();
  if (cluster.local) await ok('operator image build', run('bash', [join(ROOT, 'operator/scripts/image.sh'), OPERATOR_IMAGE], {}, 20 * 60_000));
  const ns = await createNamespace(client, 'aw-journey');
  namespace = ns.name;
  removeNamespace = ns.remove;
  model = await startScriptedOpenAIServer({
    host: MODEL_BIND,
    apiKey: 'sk-journey',
    script: {
      turns: [
        { tool_calls: [{ name: 'file_editor', arguments: { command: 'create', path: '/workspace/notes.md', file_text: NOTES } }] },
        // Runs until the test, after the operator fail-over, creates the file it waits for.
        { tool_calls: [{ name: 'terminal', arguments: { command: 'while [ ! -e go ]; do sleep 0.2; done; wc -l < notes.md' } }] },
        { tool_calls: [{ name: 'finish', arguments: { message: 'notes written and counted' } }], expect_tool_result_contains: '3' },
        // After the workspace pod was deleted and came back.
        { tool_calls: [{ name: 'terminal', arguments: { command: 'cat notes.md' } }] },
        { tool_calls: [{ name: 'finish', arguments: { message: 'still here' } }], expect_tool_result_contains: 'written by the agent' },
      ],
    },
  });
}, 30 * 60_000);

afterAll(async () => {
  await workspace?.close();
  await helm(['uninstall', RELEASE, '-n', namespace, '--wait', '--timeout', '2m']);
  await removeNamespace?.();
  await model?.close();
}, 5 * 60_000);

type Pod = KubeObject & { status?: { phase?: string; conditions?: Array<{ type: string; status: string }> } };
const operatorPods = async () =>
  (await client.list<Pod>(resourcePath('v1', 'Pod', namespace), `app.kubernetes.io/instance=${RELEASE}`)).items
    .filter((p) => !p.metadata?.deletionTimestamp && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
const leaseHolder = async () =>
  (await getOrUndefined<KubeObject & { spec?: { holderIdentity?: string } }>(client, resourcePath('coordination.k8s.io/v1', 'Lease', namespace, `${RELEASE}-agentworkspace-operator`)))?.spec?.holderIdentity || undefined;
const example = () => getOrUndefined<Workspace>(client, workspacePath(namespace, 'example'));
const ids = (events: readonly Event[]) => events.map((e) => (e as { id?: string }).id).filter((id): id is string => Boolean(id));

describe('the journey', () => {
  let conversation: Conversation;
  const streamed: Event[] = [];
  let firstRun: Promise<string>;

  it('1. helm installs the chart: two operator replicas Ready, one leading', async () => {
    const tag = OPERATOR_IMAGE.lastIndexOf(':') > OPERATOR_IMAGE.lastIndexOf('/') ? OPERATOR_IMAGE.lastIndexOf(':') : -1;
    const values = join(mkdtempSync(join(tmpdir(), 'aw-journey-')), 'values.yaml');
    writeFileSync(values, stringify({
      image: { repository: tag < 0 ? OPERATOR_IMAGE : OPERATOR_IMAGE.slice(0, tag), tag: tag < 0 ? 'latest' : OPERATOR_IMAGE.slice(tag + 1) },
      serverImage: SERVER_IMAGE,
      // Namespaced mode: this release reconciles only its own namespace, beside the other test files' operators.
      watchNamespaces: [namespace],
      workspacePods: { terminationGracePeriodSeconds: 10 },
    }));
    await ok('helm install', helm(['install', RELEASE, CHART, '-n', namespace, '-f', values, '--wait', '--timeout', '5m']));
    const pods = await waitUntil(async () => ((await operatorPods()).length === 2 ? operatorPods() : undefined), 'two Ready operator pods');
    const holder = await waitUntil(leaseHolder, 'a leader');
    expect(pods.map((p) => p.metadata!.name)).toContain(holder);
  });

  it('2. kubectl apply the example, kubectl wait until Ready, kubectl get aw shows Ready, URL and age', async () => {
    const manifest = join(ROOT, 'examples/agentworkspace.yaml');
    await ok('kubectl apply', kubectl(['apply', '-n', namespace, '-f', manifest]));
    await ok('kubectl wait', kubectl(['wait', '-n', namespace, 'aw/example', '--for=condition=Ready', '--timeout=5m']));
    const table = await ok('kubectl get aw', kubectl(['get', 'aw', '-n', namespace]));
    const [header, row] = table.trim().split('\n').map((l) => l.trim().split(/\s{2,}/));
    expect(header).toEqual(expect.arrayContaining(['NAME', 'READY', 'URL', 'AGE']));
    const cell = (column: string) => row![header!.indexOf(column)];
    expect(cell('NAME')).toBe('example');
    expect(cell('READY')).toBe('True');
    expect(cell('URL')).toBe(`http://example.${namespace}.svc.cluster.local:8000`);
    expect(cell('AGE')).toMatch(/^\d+[smh]/);
    expect(readFileSync(manifest, 'utf8')).toContain('PersistentVolumeClaim');
  });

  it('3. from outside the cluster the SDK attaches; the conversation edits a file and runs a command, every event streamed', async () => {
    workspace = await KubernetesWorkspace.attach({ name: 'example', namespace, kubeconfig: cluster.kubeconfigPath });
    expect(workspace.via).toBe('proxy');
    const agent = {
      llm: { model: 'openai/scripted', base_url: `http://${MODEL_HOST}:${new URL(model.url).port}/v1`, api_key: 'sk-journey', num_retries: 0 },
      tools: [{ name: 'terminal' }, { name: 'file_editor' }],
    } as AgentSpecInput;
    conversation = await startConversation({ agent, workspace });
    conversation.subscribe((e) => streamed.push(e));
    await conversation.sendMessage('Write notes.md, then count its lines once I say go.');
    firstRun = conversation.run();
    firstRun.catch(() => undefined); // awaited in step 4; a rejection must not go unhandled meanwhile
    await waitUntil(() => streamed.some((e) => e.kind === 'ActionEvent' && JSON.stringify(e).includes('while [ ! -e go ]')), 'the agent to start its waiting command');
    expect(streamed.some((e) => e.kind === 'ObservationEvent' && JSON.stringify(e).includes('notes.md'))).toBe(true);
  });

  it('4. the leading operator pod is deleted mid-conversation: the other replica leads and reconciles a suspend and a resume; the conversation is unaffected', async () => {
    const leader = (await leaseHolder())!;
    await client.request('DELETE', resourcePath('v1', 'Pod', namespace, leader));
    // A replica that takes the Lease reports NotReady until its informers have synced (main.ts), and the
    // kubelet notices only at its next readiness probe: wait for both, not for the Lease alone.
    const successor = await waitUntil(async () => {
      const holder = await leaseHolder();
      if (!holder || holder === leader) return undefined;
      return (await operatorPods()).some((p) => p.metadata!.name === holder) ? holder : undefined;
    }, 'another operator replica to lead and be Ready', 180_000);

    // The conversation went on meanwhile: release its command and let it finish.
    expect(await workspace!.execute('touch go')).toMatchObject({ exitCode: 0 });
    expect(await firstRun).toBe('finished');
    expect(model.player.violations).toEqual([]);
    const local = join(mkdtempSync(join(tmpdir(), 'aw-journey-')), 'notes.md');
    await workspace!.download('notes.md', local);
    expect(readFileSync(local, 'utf8')).toBe(NOTES);
    // Every persisted event reached the subscriber, in order.
    expect(ids(streamed).filter((id) => ids(conversation.events()).includes(id))).toEqual(ids(conversation.events()));
    expect(conversation.events().map((e) => e.kind)).toEqual(expect.arrayContaining(['SystemPromptEvent', 'MessageEvent', 'ActionEvent', 'ObservationEvent']));
    await conversation.close();

    // Made after the fail-over, so only the new leader can reconcile them.
    await client.mergePatch({ apiVersion: 'agentworkspace.dev/v1alpha1', kind: 'AgentWorkspace', metadata: { name: 'example', namespace } }, { spec: { suspended: true } });
    const suspended = await waitForReason(client, namespace, 'example', 'Suspended');
    expect(suspended.status?.podName).toBeUndefined();
    await client.mergePatch({ apiVersion: 'agentworkspace.dev/v1alpha1', kind: 'AgentWorkspace', metadata: { name: 'example', namespace } }, { spec: { suspended: false } });
    await waitForReason(client, namespace, 'example', 'Running');
    expect(await leaseHolder()).toBe(successor);
  });

  it('5. the workspace pod is deleted: it comes back with the conversation and its files; the SDK resumes and runs it again', async () => {
    const before = (await example())!;
    const podPath = resourcePath('v1', 'Pod', namespace, before.status!.podName!);
    const oldUid = (await client.get(podPath)).metadata!.uid;
    await client.request('DELETE', podPath);
    await waitUntil(async () => {
      const ws = await example();
      if (!ws || readyOf(ws)?.status !== 'True' || !ws.status?.podName) return false;
      return (await getOrUndefined(client, resourcePath('v1', 'Pod', namespace, ws.status.podName)))?.metadata?.uid !== oldUid;
    }, 'the workspace to be Ready on a new pod', 300_000);

    const persisted = ids(conversation.events());
    const resumed = await resumeConversation({ conversationId: conversation.id, workspace: workspace! });
    expect(ids(resumed.events())).toEqual(expect.arrayContaining(persisted));
    expect(resumed.status).toBe('finished');
    await resumed.sendMessage('Show me the notes again.');
    expect(await resumed.run()).toBe('finished');
    expect(model.player.violations).toEqual([]);
    expect(model.player.remaining).toBe(0);
    await resumed.close();
  });

  it('6. the workspace is deleted: every child is gone', async () => {
    const ws = (await example())!;
    const children = [
      resourcePath('v1', 'Pod', namespace, ws.status!.podName!),
      resourcePath('v1', 'Service', namespace, 'example'),
      resourcePath('v1', 'Secret', namespace, ws.status!.sessionKeySecretName!),
      resourcePath('v1', 'PersistentVolumeClaim', namespace, 'example-data'),
    ];
    for (const path of children) expect(await getOrUndefined(client, path)).toBeDefined();
    await workspace!.close(); // attached: keepAlive, so the AgentWorkspace stays until kubectl deletes it
    workspace = undefined;
    await ok('kubectl delete', kubectl(['delete', '-n', namespace, 'aw/example', '--wait=true', '--timeout=3m']));
    for (const path of children) await waitUntil(async () => (await getOrUndefined(client, path)) === undefined, `${path} to be deleted`);
  });
});
