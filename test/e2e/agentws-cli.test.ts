// The real agentws bin, as a child process, driving a Kubernetes workspace on the local cluster with the real
// operator (run as a process under its RBAC, as the other operator e2e tests run it) and the real agent-server
// image, from outside the cluster through the API server's service proxy: create with its progress, run streamed
// (printed while the agent still works) with a scripted model on the host's loopback (the pod reaches it at
// NETWORK.hostLoopback) and the status's exit code, exec with the exit code passed through, cp both ways, list,
// attach, delete.
import { afterAll, describe, expect, it } from '@jest/globals';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EventSchema, startScriptedOpenAIServer, type ScriptedServer, type ScriptInput } from '@agentworkspace/sdk';
import {
  ConversationLineSchema, CpOutputSchema, CreateOutputSchema, DeleteOutputSchema, ExecOutputSchema, ListOutputSchema,
} from '@agentworkspace/sdk/cli/output';
import { getOrUndefined, useOperatorInNamespace, workspacePath } from '../../operator/src/e2e.testkit.js';
import { agentws, agentwsEnv, startAgentws } from '../support/agentws.js';
import { ensureCluster, NETWORK } from '../support/cluster.js';
import { waitFor } from '../support/wait.js';

const cluster = useOperatorInNamespace('aw-cli');
const models: ScriptedServer[] = [];
afterAll(async () => {
  await Promise.all(models.map((m) => m.close()));
});

async function model(turns: ScriptInput['turns']): Promise<string[]> {
  const m = await startScriptedOpenAIServer({ script: { turns }, apiKey: 'sk-e2e' });
  models.push(m);
  return ['--model', 'openai/scripted', '--base-url', `http://${NETWORK.hostLoopback}:${new URL(m.url).port}/v1`];
}

const json = (stdout: string): unknown => JSON.parse(stdout);

describe('agentws on Kubernetes', () => {
  it('create (progress printed), run streamed with its exit code, exec, cp both ways, list, attach, delete', async () => {
    const { kubeconfigPath } = await ensureCluster();
    const env = agentwsEnv({ KUBECONFIG: kubeconfigPath, LLM_API_KEY: 'sk-e2e' });
    const ns = ['-n', cluster.namespace];
    try {
      const created = await agentws(['create', '--name', 'cli', ...ns, '--json'], env);
      expect(created.code).toBe(0);
      expect(CreateOutputSchema.parse(json(created.stdout))).toEqual({
        name: 'cli', kind: 'kubernetes', namespace: cluster.namespace, url: `http://cli.${cluster.namespace}.svc.cluster.local:8000`,
      });
      expect(created.stderr).toContain('creating an AgentWorkspace cli; waiting until it is Ready');
      expect(created.stderr.trim().split('\n').at(-1)).toMatch(new RegExp(`^${cluster.namespace}/cli: Running`));

      const list = await agentws(['list', ...ns, '--json'], env);
      expect(list.code).toBe(0);
      expect(ListOutputSchema.parse(json(list.stdout)).workspaces).toEqual([
        expect.objectContaining({ name: 'cli', kind: 'kubernetes', namespace: cluster.namespace, status: 'Running' }),
      ]);

      // run: the first command waits for a file that only exec creates, once the command is on agentws's stdout.
      const flags = await model([
        { tool_calls: [{ name: 'terminal', arguments: { command: 'until [ -f go ]; do sleep 0.1; done; echo released', timeout: 200 } }] },
        { tool_calls: [{ name: 'file_editor', arguments: { command: 'create', path: '/workspace/notes.md', file_text: 'first\n' } }], expect_tool_result_contains: 'released' },
        { tool_calls: [{ name: 'finish', arguments: { message: 'notes written' } }] },
      ]);
      const run = startAgentws(['run', 'cli', 'write notes', ...ns, ...flags], env);
      await waitFor(() => run.stdout().includes('$ until [ -f go ]'), 'the command to be printed while it runs', { timeoutMs: 120_000, failOn: run.exited });
      expect(run.child.exitCode).toBeNull();
      expect(await agentws(['exec', 'cli', ...ns, '--', 'touch', 'go'], env)).toMatchObject({ code: 0 });
      const ran = await run.done;
      expect(ran.code).toBe(0);
      expect(ran.stdout).toContain('  released');
      expect(ran.stdout).toContain('--- /dev/null\n+++ /workspace/notes.md\n@@ -1,0 +1,1 @@\n+first');
      expect(ran.stdout).toContain('agent notes written');
      expect(ran.stdout.trim().split('\n').at(-1)).toBe('── finished (exit 0)');

      // A run that errs: exit 3, and its JSON lines parse.
      const failing = await agentws(['run', 'cli', 'fail', ...ns, ...await model([{ error: { status: 400, message: 'the model refuses' } }]), '--json'], env);
      expect(failing.code).toBe(3);
      const lines = failing.stdout.trim().split('\n').map((l) => ConversationLineSchema.parse(JSON.parse(l)));
      expect(lines.at(-1)).toMatchObject({ type: 'status', status: 'error', exitCode: 3 });
      for (const l of lines) if (l.type === 'event') EventSchema.parse(l.event);

      // exec: the exit code passes through.
      const exec = await agentws(['exec', 'cli', ...ns, '--json', '--', 'bash', '-c', 'cat notes.md; exit 42'], env);
      expect(exec.code).toBe(42);
      expect(ExecOutputSchema.parse(json(exec.stdout))).toEqual({ exitCode: 42, timedOut: false, stdout: 'first\n', stderr: '' });

      // cp both ways.
      const local = join(env.HOME!, 'up.txt');
      writeFileSync(local, 'from the laptop\n');
      const up = await agentws(['cp', local, 'cli:in/up.txt', ...ns, '--json'], env);
      expect(up.code).toBe(0);
      expect(CpOutputSchema.parse(json(up.stdout))).toMatchObject({ direction: 'upload', remote: 'in/up.txt', bytes: 16 });
      expect(await agentws(['exec', 'cli', ...ns, '--', 'cat', '/workspace/in/up.txt'], env)).toMatchObject({ code: 0, stdout: 'from the laptop\n' });
      const down = await agentws(['cp', 'cli:notes.md', `${env.HOME}/`, ...ns, '--json'], env);
      expect(down.code).toBe(0);
      expect(CpOutputSchema.parse(json(down.stdout))).toMatchObject({ direction: 'download', local: join(env.HOME!, 'notes.md'), bytes: 6 });
      expect(readFileSync(join(env.HOME!, 'notes.md'), 'utf8')).toBe('first\n');

      // attach replays the newest conversation (the failed one) and exits with its status.
      const attached = await agentws(['attach', 'cli', ...ns], env);
      expect(attached.code).toBe(3);
      expect(attached.stdout.trim().split('\n').at(-1)).toBe('── error (exit 3)');

      const deleted = await agentws(['delete', 'cli', ...ns, '--json'], env);
      expect(deleted.code).toBe(0);
      expect(DeleteOutputSchema.parse(json(deleted.stdout))).toEqual({ name: 'cli', kind: 'kubernetes', deleted: true });
      // delete waits until the AgentWorkspace (and, foreground, its pod) is gone.
      expect(await getOrUndefined(cluster.client, workspacePath(cluster.namespace, 'cli'))).toBeUndefined();
      const again = await agentws(['delete', 'cli', ...ns], env);
      expect(again.code).toBe(1);
      expect(again.stderr).toContain('no workspace "cli"');
    } finally {
      rmSync(env.HOME!, { recursive: true, force: true });
    }
  });
});
