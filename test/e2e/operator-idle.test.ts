// lifetime.idleTimeout on the real cluster: the operator reads the server's /server_info idle_time and suspends a
// workspace idle for that long (its pod deleted, status.idleSuspendedAt, an IdleSuspended Event, status.lastActivityAt),
// even while a client polls /health; a workspace with an open WebSocket, a running command or a running
// conversation (its model call held open by the scripted model) stays up past the timeout; a spec change resumes the
// suspended one.
import { afterAll, describe, it, expect } from '@jest/globals';
import WebSocket from 'ws';
import { startScriptedOpenAIServer, type ScriptedServer } from '@agentworkspace/sdk';
import {
  getOrUndefined, readyOf, sessionKeyOf, waitForReason, waitUntil, workspacePath, useOperatorInNamespace, type Workspace,
} from '../../operator/src/e2e.testkit.js';
import { resourcePath, type KubeObject } from '../../operator/src/kube/client.js';
import { MODEL_BIND, MODEL_HOST } from '../support/cluster.js';

const cluster = useOperatorInNamespace('aw-idle');
const TIMEOUT_S = 8;

const create = (name: string) =>
  cluster.client.create({ apiVersion: 'agentworkspace.dev/v1alpha1', kind: 'AgentWorkspace', metadata: { name, namespace: cluster.namespace }, spec: { lifetime: { idleTimeout: `${TIMEOUT_S}s` } } } as KubeObject);
const get = (name: string) => cluster.client.get<Workspace & { spec: { suspended?: boolean } }>(workspacePath(cluster.namespace, name));

let model: ScriptedServer | undefined;
afterAll(async () => model?.close());

describe('idle suspension by the server\'s activity', () => {
  it('suspends an idle workspace despite /health polling; an open WebSocket, a running command or a running conversation keeps one up', async () => {
    const names = ['idle', 'socket', 'command', 'conversation'];
    await Promise.all(names.map(create));
    const [idle, socket, command, conversation] = await Promise.all(names.map((n) => waitForReason(cluster.client, cluster.namespace, n, 'Running')));
    const keyOf = (ws: Workspace) => sessionKeyOf(cluster.client, ws);
    // The model holds its first answer for ten minutes: the conversation stays running, with no client connected.
    model = await startScriptedOpenAIServer({ script: { turns: [{ text: 'late', delay_ms: 600_000 }] }, apiKey: 'sk-e2e', host: MODEL_BIND });

    const ws = new WebSocket(`ws://${socket!.status!.podIP}:8000/sockets/bash-events?session_api_key=${encodeURIComponent(await keyOf(socket!))}`);
    ws.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const started = await fetch(`http://${command!.status!.podIP}:8000/api/bash/start_bash_command`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'X-Session-API-Key': await keyOf(command!) },
      body: JSON.stringify({ command: 'sleep 600', timeout: 600 }),
    });
    expect(started.status).toBe(200);
    const created = await fetch(`http://${conversation!.status!.podIP}:8000/api/conversations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'X-Session-API-Key': await keyOf(conversation!) },
      body: JSON.stringify({
        agent: { kind: 'Agent', llm: { model: 'openai/scripted', base_url: `http://${MODEL_HOST}:${new URL(model.url).port}/v1`, api_key: 'sk-e2e', num_retries: 0 }, tools: [] },
        workspace: { type: 'local', working_dir: '/workspace' },
        initial_message: { content: [{ type: 'text', text: 'take your time' }] },
      }),
    });
    expect(created.status).toBe(201);
    const conversationId = ((await created.json()) as { id: string }).id;

    // A poller of /health (and /ready) on the idle workspace's server, all along.
    let polling = true;
    const poller = (async () => {
      while (polling) {
        await fetch(`http://${idle!.status!.podIP}:8000/health`).catch(() => undefined);
        await fetch(`http://${idle!.status!.podIP}:8000/ready`).catch(() => undefined);
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    try {
      const suspended = await waitForReason(cluster.client, cluster.namespace, 'idle', 'Suspended', 120_000);
      expect((suspended.spec as { suspended?: boolean }).suspended).toBe(false); // the operator writes no spec: the status holds the suspension
      expect(suspended.status).toMatchObject({ idleSuspendedGeneration: suspended.metadata!.generation });
      const lastActivity = Date.parse(suspended.status!.lastActivityAt as string);
      expect(Date.parse(suspended.status!.idleSuspendedAt as string) - lastActivity).toBeGreaterThanOrEqual(TIMEOUT_S * 1000);
      await waitUntil(async () => !(await getOrUndefined(cluster.client, resourcePath('v1', 'Pod', cluster.namespace, 'idle'))), 'the idle pod to be gone');
      const events = await cluster.client.list(resourcePath('v1', 'Event', cluster.namespace));
      expect(events.items.some((e) => (e as { reason?: string; involvedObject?: { name?: string } }).reason === 'IdleSuspended' && (e as { involvedObject?: { name?: string } }).involvedObject?.name === 'idle')).toBe(true);
    } finally {
      polling = false;
      await poller;
    }
    // The busy ones: checked by the operator after their timeout had passed, found active, still running.
    for (const name of ['socket', 'command', 'conversation']) {
      const created = Date.parse((await get(name)).status!.readyAt as string);
      const seen = await waitUntil(async () => {
        const w = await get(name);
        const at = Date.parse((w.status?.lastActivityAt as string | undefined) ?? '');
        return at > created + 2 * TIMEOUT_S * 1000 ? w : undefined;
      }, `${name}: an idle check after twice the timeout`, 120_000);
      expect(readyOf(seen)).toMatchObject({ status: 'True', reason: 'Running' });
      expect(seen.spec.suspended).toBe(false);
    }
    ws.close();
    // The conversation was running all along (its model call still waiting), not merely touched by its start.
    const info = await fetch(`http://${conversation!.status!.podIP}:8000/api/conversations/${conversationId}`, { headers: { 'X-Session-API-Key': await keyOf(conversation!) } });
    expect(((await info.json()) as { execution_status: string }).execution_status).toBe('running');

    // Any spec change resumes an idle-suspended workspace.
    await cluster.client.mergePatch({ apiVersion: 'agentworkspace.dev/v1alpha1', kind: 'AgentWorkspace', metadata: { name: 'idle', namespace: cluster.namespace } }, { spec: { lifetime: { idleTimeout: '1h' } } });
    const resumed = await waitForReason(cluster.client, cluster.namespace, 'idle', 'Running');
    expect(resumed.status!.idleSuspendedAt).toBeUndefined();
  });
});
