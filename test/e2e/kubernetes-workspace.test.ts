// KubernetesWorkspace on the real local cluster, with the real operator (run as a process under its RBAC, as the
// other operator e2e tests run it) and the real agent-server image: from outside the cluster, through the API
// server's service proxy, the shared example script (examples/sdk-conversation.ts, unchanged) runs a scripted
// conversation whose model listens on the host's loopback (the pod reaches it at 10.0.2.2); the same script in a
// pod of the cluster, under a ServiceAccount of its own, connects by status.url (cluster DNS, the Service's
// address); a workspace pod deleted mid-conversation comes back with its PersistentVolumeClaim and the
// conversation resumes; a failing image is a WorkspaceImagePullError and nothing is left behind; keepAlive,
// attach by name and delete on close.
import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, KubernetesObjectApi, type KubernetesObject, type V1Pod } from '@kubernetes/client-node';
import { transform } from 'esbuild';
import { resumeConversation, startConversation, startScriptedOpenAIServer, type AgentSpecInput, type Event } from '@agentworkspace/sdk';
import { KubernetesWorkspace, WorkspaceImagePullError, WorkspaceNotReadyError, type ReadyProgress } from '@agentworkspace/sdk/kubernetes';
import { REPORT_TEXT, runExample } from '../../examples/sdk-conversation.js';
import { getOrUndefined, readyOf, ROOT, SERVER_IMAGE, useOperatorInNamespace, waitUntil, workspacePath, type Workspace } from '../../operator/src/e2e.testkit.js';
import { ensureCluster, MODEL_BIND, MODEL_HOST } from '../support/cluster.js';

const cluster = useOperatorInNamespace('aw-kws');

const turns = [
  { tool_calls: [{ name: 'terminal', arguments: { command: `echo "${REPORT_TEXT}" > report.txt` } }] },
  { tool_calls: [{ name: 'terminal', arguments: { command: 'wc -l report.txt' } }] },
  { tool_calls: [{ name: 'finish', arguments: { message: 'report written and counted' } }], expect_tool_result_contains: '1 report.txt' },
];

const scriptedAgent = (port: string): AgentSpecInput => ({
  llm: { model: 'openai/scripted', base_url: `http://${MODEL_HOST}:${port}/v1`, api_key: 'sk-e2e', num_retries: 0 },
  tools: [{ name: 'terminal' }, { name: 'file_editor' }],
}) as AgentSpecInput;

const gone = (name: string) => waitUntil(async () => (await getOrUndefined(cluster.client, workspacePath(cluster.namespace, name))) === undefined, `AgentWorkspace ${name} to be deleted`);

describe('KubernetesWorkspace', () => {
  it('runs the example script from outside the cluster through the API server\'s proxy, every event streamed, the file downloaded', async () => {
    const model = await startScriptedOpenAIServer({ script: { turns }, apiKey: 'sk-e2e', host: MODEL_BIND });
    try {
      const port = new URL(model.url).port;
      const progress: ReadyProgress[] = [];
      const { kubeconfigPath } = await ensureCluster();
      const workspace = await KubernetesWorkspace.create({ namespace: cluster.namespace, kubeconfig: kubeconfigPath, onProgress: (p) => progress.push(p) });
      expect(workspace.via).toBe('proxy');
      expect(workspace.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(workspace.clusterUrl).toBe(`http://${workspace.name}.${cluster.namespace}.svc.cluster.local:8000`);
      expect(progress.at(-1)).toMatchObject({ status: 'True', reason: 'Running' });
      const copy = join(mkdtempSync(join(tmpdir(), 'kws-copy-')), 'report.txt');
      const result = await runExample(workspace, scriptedAgent(port), copy);
      expect(result.status).toBe('finished');
      expect(result.lines).toBe('1');
      expect(result.kinds).toEqual(expect.arrayContaining(['SystemPromptEvent', 'MessageEvent', 'ActionEvent', 'ObservationEvent']));
      expect(result.kinds.filter((k) => k === 'ObservationEvent').length).toBeGreaterThanOrEqual(3);
      expect(model.player.violations).toEqual([]);
      // runExample closed the workspace: without keepAlive the AgentWorkspace is deleted.
      await gone(workspace.name);
    } finally {
      await model.close();
    }
  });

  it('runs the same example inside the cluster: a pod under its own ServiceAccount creates the workspace and connects by status.url', async () => {
    const model = await startScriptedOpenAIServer({ script: { turns }, apiKey: 'sk-e2e', host: MODEL_BIND });
    try {
      const { kubeConfig } = await ensureCluster();
      const namespace = cluster.namespace;
      // The example as it is, TypeScript stripped, in a ConfigMap beside the server image's node_modules (which
      // hold @agentworkspace/sdk): /app/examples/sdk-conversation.mjs resolves its imports from /app/node_modules.
      const { code } = await transform(readFileSync(join(ROOT, 'examples/sdk-conversation.ts'), 'utf8'), { loader: 'ts', format: 'esm' });
      const meta = (name: string) => ({ name, namespace });
      const objects: KubernetesObject[] = [
        { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta('example') },
        {
          apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: meta('example'),
          rules: [
            { apiGroups: ['agentworkspace.dev'], resources: ['agentworkspaces'], verbs: ['create', 'get', 'list', 'watch', 'delete'] },
            { apiGroups: [''], resources: ['secrets'], verbs: ['get'] },
          ],
        } as KubernetesObject,
        {
          apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: meta('example'),
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'example' },
          subjects: [{ kind: 'ServiceAccount', name: 'example', namespace }],
        } as KubernetesObject,
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('example'), data: { 'sdk-conversation.mjs': code } } as KubernetesObject,
        {
          apiVersion: 'v1', kind: 'Pod', metadata: meta('example'),
          spec: {
            serviceAccountName: 'example', restartPolicy: 'Never',
            containers: [{
              name: 'example', image: SERVER_IMAGE, imagePullPolicy: 'IfNotPresent', command: ['node', '/app/examples/sdk-conversation.mjs'],
              env: [
                { name: 'AGENTWORKSPACE_NAMESPACE', value: namespace },
                { name: 'LLM_MODEL', value: 'openai/scripted' },
                { name: 'LLM_API_KEY', value: 'sk-e2e' },
                { name: 'LLM_BASE_URL', value: `http://${MODEL_HOST}:${new URL(model.url).port}/v1` },
              ],
              volumeMounts: [{ name: 'example', mountPath: '/app/examples', readOnly: true }],
            }],
            volumes: [{ name: 'example', configMap: { name: 'example' } }],
          },
        } as V1Pod as KubernetesObject,
      ];
      const api = KubernetesObjectApi.makeApiClient(kubeConfig);
      for (const obj of objects) await api.create(obj);
      const core = kubeConfig.makeApiClient(CoreV1Api);
      const pod = await waitUntil(async () => {
        const p = await core.readNamespacedPod({ name: 'example', namespace });
        return p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed' ? p : undefined;
      }, 'the example pod to finish', 300_000);
      const logs = await core.readNamespacedPodLog({ name: 'example', namespace, container: 'example' });
      if (pod.status?.phase !== 'Succeeded') throw new Error(`the example pod ended ${pod.status?.phase}, expected Succeeded; its log:\n${logs}\nits status: ${JSON.stringify(pod.status?.containerStatuses)}`);
      const result = JSON.parse(logs.trim().split('\n').at(-1)!) as { status: string; lines: string; kinds: string[]; via: string; url: string; workspace: string };
      expect(result).toMatchObject({ status: 'finished', lines: '1', via: 'direct' });
      const name = result.workspace.split('/')[1]!;
      expect(result.url).toBe(`http://${name}.${namespace}.svc.cluster.local:8000`);
      expect(result.kinds).toEqual(expect.arrayContaining(['SystemPromptEvent', 'MessageEvent', 'ActionEvent', 'ObservationEvent']));
      expect(model.player.violations).toEqual([]);
      await gone(name);
    } finally {
      await model.close();
    }
  });

  it('a workspace pod deleted mid-conversation comes back with its PersistentVolumeClaim; the conversation resumes and runs again', async () => {
    const model = await startScriptedOpenAIServer({
      script: {
        turns: [
          { tool_calls: [{ name: 'terminal', arguments: { command: 'echo kept > before.txt' } }] },
          // The pod is deleted while this one runs.
          { tool_calls: [{ name: 'terminal', arguments: { command: 'sleep 600' } }] },
          { tool_calls: [{ name: 'terminal', arguments: { command: 'cat before.txt' } }] },
          { tool_calls: [{ name: 'finish', arguments: { message: 'resumed' } }], expect_tool_result_contains: 'kept' },
        ],
      },
      apiKey: 'sk-e2e',
      host: MODEL_BIND,
    });
    const { kubeconfigPath } = await ensureCluster();
    const workspace = await KubernetesWorkspace.create({
      name: 'durable', namespace: cluster.namespace, kubeconfig: kubeconfigPath, storage: { type: 'PersistentVolumeClaim', size: '1Gi' },
    });
    try {
      const conversation = await startConversation({ agent: scriptedAgent(new URL(model.url).port), workspace });
      const sleeping = new Promise<void>((resolve) => conversation.subscribe((e: Event) => {
        if (e.kind === 'ActionEvent' && JSON.stringify(e).includes('sleep 600')) resolve();
      }));
      await conversation.sendMessage('Write before.txt, wait, then read it back.');
      const firstRun = conversation.run().then((status) => ({ status }), (err: unknown) => ({ err }));
      await sleeping;
      const before = (await getOrUndefined<Workspace>(cluster.client, workspacePath(cluster.namespace, 'durable')))!;
      const podPath = `/api/v1/namespaces/${cluster.namespace}/pods/${before.status!.podName}`;
      const oldUid = (await cluster.client.get(podPath)).metadata!.uid;
      await cluster.client.request('DELETE', podPath);
      // The operator makes a new pod on the same claim; Ready again means the server answers /ready.
      await waitUntil(async () => {
        const ws = await getOrUndefined<Workspace>(cluster.client, workspacePath(cluster.namespace, 'durable'));
        if (readyOf(ws!)?.status !== 'True') return false;
        const pod = await getOrUndefined(cluster.client, `/api/v1/namespaces/${cluster.namespace}/pods/${ws!.status!.podName}`);
        return pod !== undefined && pod.metadata!.uid !== oldUid;
      }, 'the workspace to be Ready on a new pod', 300_000);
      // The run in flight ends (the server stopped it gracefully: paused) or its client gave up; never still running.
      const outcome = await firstRun;
      expect('status' in outcome ? outcome.status : 'gave up').not.toBe('running');
      const seenBefore = conversation.events().map((e) => (e as { id?: string }).id).filter(Boolean);
      await conversation.close();

      const resumed = await resumeConversation({ conversationId: conversation.id, workspace });
      expect(resumed.events().map((e) => (e as { id?: string }).id)).toEqual(expect.arrayContaining(seenBefore));
      expect(resumed.status).not.toBe('running');
      await resumed.sendMessage('The pod restarted; go on.');
      const final = await resumed.run();
      // On failure the last events say why (an error observation, a ConversationErrorEvent).
      if (final !== 'finished') throw new Error(`the resumed run ended ${final}, expected finished; its last events: ${JSON.stringify(resumed.events().slice(-4))}`);
      expect(await workspace.execute('cat before.txt')).toMatchObject({ exitCode: 0, stdout: 'kept\n' });
      expect(model.player.violations).toEqual([]);
      await resumed.close();
    } finally {
      await workspace.close();
      await model.close();
    }
    await gone('durable');
  });

  it('a missing image fails with WorkspaceImagePullError carrying the reason, and the AgentWorkspace is deleted', async () => {
    const { kubeconfigPath } = await ensureCluster();
    const failure = await KubernetesWorkspace.create({
      name: 'bad-image', namespace: cluster.namespace, kubeconfig: kubeconfigPath, image: 'localhost/agentworkspace/does-not-exist:nope',
    }).then(() => undefined, (err: unknown) => err);
    expect(failure).toBeInstanceOf(WorkspaceImagePullError);
    expect(failure).toBeInstanceOf(WorkspaceNotReadyError);
    expect(failure).toMatchObject({ reason: 'ImagePullFailed', workspace: `${cluster.namespace}/bad-image` });
    expect((failure as WorkspaceImagePullError).conditionMessage).toContain('does-not-exist');
    expect((failure as Error).message).toContain('ImagePullFailed');
    await gone('bad-image');
  });

  it('keepAlive leaves the workspace on close; attach by name reconnects; close without keepAlive deletes it', async () => {
    const { kubeconfigPath } = await ensureCluster();
    const first = await KubernetesWorkspace.create({ name: 'kept', namespace: cluster.namespace, kubeconfig: kubeconfigPath, keepAlive: true });
    await first.upload(new TextEncoder().encode('kept\n'), 'note.txt');
    await first.close();
    expect(await getOrUndefined(cluster.client, workspacePath(cluster.namespace, 'kept'))).toBeDefined();

    const again = await KubernetesWorkspace.attach({ name: 'kept', namespace: cluster.namespace, kubeconfig: kubeconfigPath, keepAlive: false });
    expect(again.sessionApiKey).toBe(first.sessionApiKey);
    expect(await again.execute('cat note.txt')).toMatchObject({ exitCode: 0, stdout: 'kept\n' });
    await again.close();
    await gone('kept');
  });
});
