// KubernetesWorkspace on the real local cluster, with the real operator (run as a process under its RBAC, as the
// other operator e2e tests run it) and the real agent-server image: from outside the cluster, through the API
// server's service proxy, the shared example script (examples/sdk-conversation.ts, unchanged) runs a scripted
// conversation whose model listens on the host's loopback (the pod reaches it at 10.0.2.2); a failing image is
// a WorkspaceImagePullError and nothing is left behind; keepAlive, attach by name and delete on close.
import { describe, expect, it } from '@jest/globals';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startScriptedOpenAIServer, type AgentSpecInput } from '@agentworkspace/sdk';
import { KubernetesWorkspace, WorkspaceImagePullError, WorkspaceNotReadyError, type ReadyProgress } from '@agentworkspace/sdk/kubernetes';
import { REPORT_TEXT, runExample } from '../../examples/sdk-conversation.js';
import { getOrUndefined, useOperatorInNamespace, waitUntil, workspacePath } from '../../operator/src/e2e.testkit.js';
import { ensureCluster, NETWORK } from '../support/cluster.js';

const cluster = useOperatorInNamespace('aw-kws');

const turns = [
  { tool_calls: [{ name: 'terminal', arguments: { command: `echo "${REPORT_TEXT}" > report.txt` } }] },
  { tool_calls: [{ name: 'terminal', arguments: { command: 'wc -l report.txt' } }] },
  { tool_calls: [{ name: 'finish', arguments: { message: 'report written and counted' } }], expect_tool_result_contains: '1 report.txt' },
];

const gone = (name: string) => waitUntil(async () => (await getOrUndefined(cluster.client, workspacePath(cluster.namespace, name))) === undefined, `AgentWorkspace ${name} to be deleted`);

describe('KubernetesWorkspace', () => {
  it('runs the example script from outside the cluster through the API server\'s proxy, every event streamed, the file downloaded', async () => {
    const model = await startScriptedOpenAIServer({ script: { turns }, apiKey: 'sk-e2e' });
    try {
      const port = new URL(model.url).port;
      const progress: ReadyProgress[] = [];
      const { kubeconfigPath } = await ensureCluster();
      const workspace = await KubernetesWorkspace.create({ namespace: cluster.namespace, kubeconfig: kubeconfigPath, onProgress: (p) => progress.push(p) });
      expect(workspace.via).toBe('proxy');
      expect(workspace.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(workspace.clusterUrl).toBe(`http://${workspace.name}.${cluster.namespace}.svc.cluster.local:8000`);
      expect(progress.at(-1)).toMatchObject({ status: 'True', reason: 'Running' });
      const agent = {
        llm: { model: 'openai/scripted', base_url: `http://${NETWORK.hostLoopback}:${port}/v1`, api_key: 'sk-e2e', num_retries: 0 },
        tools: [{ name: 'terminal' }, { name: 'file_editor' }],
      } as AgentSpecInput;
      const copy = join(mkdtempSync(join(tmpdir(), 'kws-copy-')), 'report.txt');
      const result = await runExample(workspace, agent, copy);
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
