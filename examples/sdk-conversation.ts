// One conversation, any workspace: the agent writes a file and runs a command; the script then checks the
// file through the workspace. Only the workspace argument says where the agent runs.
//
//   node --import tsx examples/sdk-conversation.ts                   # a LocalWorkspace in a temporary directory
//   AGENT_SERVER_URL=http://127.0.0.1:8000 SESSION_API_KEY=… node --import tsx examples/sdk-conversation.ts
//   AGENTWORKSPACE_NAMESPACE=agents node --import tsx examples/sdk-conversation.ts   # a new AgentWorkspace
//     (by status.url inside the cluster, through the API server's proxy from outside; deleted at the end)
//   AGENTWORKSPACE_DOCKER_IMAGE=localhost/agentworkspace/agent-server:dev node --import tsx examples/sdk-conversation.ts
//     (a container on the engine at DOCKER_HOST; removed at the end; a model on this host is host.docker.internal)
//
// The model comes from LLM_MODEL / LLM_API_KEY / LLM_BASE_URL (default openai/gpt-4o).
import { mkdtempSync, realpathSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalWorkspace, RemoteWorkspace, startConversation, type AgentSpecInput, type ExecutionStatus } from '@agentworkspace/sdk';
import { KubernetesWorkspace } from '@agentworkspace/sdk/kubernetes';

export const REPORT_TEXT = 'hello from the agent';

/** Runs the task in `workspace`, downloads the report to `localCopy` and checks it; resolves with what happened. */
export async function runExample(workspace: LocalWorkspace | RemoteWorkspace, agent: AgentSpecInput, localCopy: string): Promise<{ status: ExecutionStatus; kinds: string[]; lines: string }> {
  const conversation = await startConversation({ agent, workspace });
  const kinds: string[] = [];
  conversation.subscribe((event) => kinds.push(event.kind));
  await conversation.sendMessage(`Write "${REPORT_TEXT}" to report.txt, then count its lines with wc -l.`);
  const status = await conversation.run();
  await conversation.close();

  const { exitCode, stdout } = await workspace.execute('wc -l < report.txt');
  if (exitCode !== 0) throw new Error(`wc failed with ${exitCode}`);
  await workspace.download('report.txt', localCopy);
  const report = await readFile(localCopy, 'utf8');
  if (report.trim() !== REPORT_TEXT) throw new Error(`report.txt holds ${JSON.stringify(report)}`);
  await workspace.close();
  return { status, kinds, lines: stdout.trim() };
}

// Run as the main module (its real path: a ConfigMap mounts it behind symlinks, which node resolves).
if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const workspace = process.env.AGENTWORKSPACE_NAMESPACE
    ? await KubernetesWorkspace.create({ namespace: process.env.AGENTWORKSPACE_NAMESPACE })
    : process.env.AGENTWORKSPACE_DOCKER_IMAGE
      // Loaded only here: dockerode is not needed by the other workspaces.
      ? await (await import('@agentworkspace/sdk/docker')).DockerWorkspace.create({ image: process.env.AGENTWORKSPACE_DOCKER_IMAGE })
      : process.env.AGENT_SERVER_URL
        ? new RemoteWorkspace({ url: process.env.AGENT_SERVER_URL, sessionApiKey: process.env.SESSION_API_KEY })
        : new LocalWorkspace(mkdtempSync(join(tmpdir(), 'example-')));
  const where = workspace instanceof KubernetesWorkspace ? { workspace: `${workspace.namespace}/${workspace.name}`, via: workspace.via, url: workspace.url }
    : workspace instanceof RemoteWorkspace ? { url: workspace.url } : { dir: workspace.workingDir };
  const agent: AgentSpecInput = {
    llm: { model: process.env.LLM_MODEL ?? 'openai/gpt-4o', api_key: process.env.LLM_API_KEY, base_url: process.env.LLM_BASE_URL },
    tools: [{ name: 'terminal' }, { name: 'file_editor' }],
  };
  const result = await runExample(workspace, agent, join(tmpdir(), 'report-copy.txt'));
  console.log(JSON.stringify({ ...result, ...where }));
}
