// DockerWorkspace against a real engine: podman's Docker-compatible API (test/support/docker-engine.ts starts and
// stops it), the real agent-server image, the scripted model on the host's loopback (the container reaches it as
// host.docker.internal). The shared example script runs unchanged; a host folder mounted at /workspace gets the
// agent's files owned by the folder's owner; close() removes the container, keepAlive keeps it; a missing image,
// a server that exits and a taken port fail with their classes and leave no container; a SIGKILLed owner's
// container is reaped by the next create. `agentws create --docker` keeps one running for exec/list/delete.
import { spawn } from 'node:child_process';
import { chownSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from '@jest/globals';
import Docker from 'dockerode';
import { startConversation, startScriptedOpenAIServer, type AgentSpecInput } from '@agentworkspace/sdk';
import {
  ContainerExitedError, DockerImageNotFoundError, DockerWorkspace, LABEL_MANAGED, PortInUseError,
} from '@agentworkspace/sdk/docker';
import { REPORT_TEXT, runExample } from '../../examples/sdk-conversation.js';
import { agentws, freshEnv } from '../../sdk/src/cli/cli.testkit.js';
import { CreateOutputSchema, DeleteOutputSchema, ExecOutputSchema, ListOutputSchema } from '@agentworkspace/sdk/cli/output';
import { ensureImage, SERVER_IMAGE } from '../support/cluster.js';
import { describeWithDocker, usePodmanDockerService } from '../support/docker-engine.js';
import { NODE, ROOT } from '../support/server.js';
import { waitFor } from '../support/wait.js';

const turns = [
  { tool_calls: [{ name: 'terminal', arguments: { command: `echo "${REPORT_TEXT}" > report.txt` } }] },
  { tool_calls: [{ name: 'terminal', arguments: { command: 'wc -l report.txt' } }] },
  { tool_calls: [{ name: 'finish', arguments: { message: 'report written and counted' } }], expect_tool_result_contains: '1 report.txt' },
];

export const scriptedAgent = (modelUrl: string): AgentSpecInput => ({
  llm: { model: 'openai/scripted', base_url: `http://host.docker.internal:${new URL(modelUrl).port}/v1`, api_key: 'sk-docker', num_retries: 0 },
  tools: [{ name: 'terminal' }, { name: 'file_editor' }],
}) as AgentSpecInput;

const scratch = (prefix: string) => mkdtempSync(join(tmpdir(), `docker-${prefix}-`));

async function exists(docker: Docker, id: string): Promise<boolean> {
  try {
    await docker.getContainer(id).inspect();
    return true;
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return false;
    throw err;
  }
}

/** Ids of the SDK's containers (labelled) whose name starts with `prefix`. */
async function managedNamed(docker: Docker, prefix: string): Promise<string[]> {
  const list = await docker.listContainers({ all: true, filters: { label: [`${LABEL_MANAGED}=true`] } });
  return list.filter((c) => c.Names.some((n) => n.replace(/^\//, '').startsWith(prefix))).map((c) => c.Id);
}

describeWithDocker('DockerWorkspace', () => {
  usePodmanDockerService();
  const docker = () => new Docker();

  it('runs the example script unchanged: the model on the host is reached as host.docker.internal, the file downloaded; close() removes the container', async () => {
    await ensureImage('server');
    const model = await startScriptedOpenAIServer({ script: { turns }, apiKey: 'sk-docker', host: '127.0.0.1' });
    try {
      const workspace = await DockerWorkspace.create({ image: SERVER_IMAGE });
      expect(workspace.engine).toBe('podman');
      expect(workspace.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(await exists(docker(), workspace.containerId)).toBe(true);
      const copy = join(scratch('copy'), 'report.txt');
      const result = await runExample(workspace, scriptedAgent(model.url), copy);
      expect(result).toMatchObject({ status: 'finished', lines: '1' });
      expect(result.kinds).toEqual(expect.arrayContaining(['SystemPromptEvent', 'MessageEvent', 'ActionEvent', 'ObservationEvent']));
      expect(readFileSync(copy, 'utf8').trim()).toBe(REPORT_TEXT);
      expect(model.player.violations).toEqual([]);
      // runExample closed the workspace.
      expect(await exists(docker(), workspace.containerId)).toBe(false);
    } finally {
      await model.close();
    }
  });

  it.each([
    ['the image\'s user (uid 10001)', 10001, 10001],
    ['another non-root user', 4242, 4343],
  ])('a host folder owned by %s mounted at /workspace gets the agent\'s edits owned by that uid:gid, on the host after close()', async (_who, uid, gid) => {
    await ensureImage('server');
    const folder = scratch('mount');
    chownSync(folder, uid, gid);
    const model = await startScriptedOpenAIServer({
      script: {
        turns: [
          { tool_calls: [{ name: 'file_editor', arguments: { command: 'create', path: '/workspace/notes.md', file_text: 'written by the agent\n' } }] },
          { tool_calls: [{ name: 'terminal', arguments: { command: 'id -u; id -g; mkdir -p src && echo ok > src/out.txt' } }] },
          { tool_calls: [{ name: 'finish', arguments: { message: 'done' } }], expect_tool_result_contains: `${uid}\n${gid}` },
        ],
      },
      apiKey: 'sk-docker', host: '127.0.0.1',
    });
    const workspace = await DockerWorkspace.create({ image: SERVER_IMAGE, mounts: [{ source: folder, target: '/workspace' }] });
    try {
      const conversation = await startConversation({ agent: scriptedAgent(model.url), workspace });
      await conversation.sendMessage('Write the notes and the output.');
      expect(await conversation.run()).toBe('finished');
      await conversation.close();
      expect(model.player.violations).toEqual([]);
    } finally {
      await workspace.close();
      await model.close();
    }
    expect(await exists(docker(), workspace.containerId)).toBe(false);
    for (const file of ['notes.md', 'src/out.txt']) {
      expect({ file, uid: statSync(join(folder, file)).uid, gid: statSync(join(folder, file)).gid }).toEqual({ file, uid, gid });
    }
    expect(readFileSync(join(folder, 'notes.md'), 'utf8')).toBe('written by the agent\n');
  });

  it('keepAlive: close() leaves the container running', async () => {
    await ensureImage('server');
    const workspace = await DockerWorkspace.create({ image: SERVER_IMAGE, keepAlive: true });
    try {
      await workspace.close();
      expect((await docker().getContainer(workspace.containerId).inspect()).State.Running).toBe(true);
      expect(await workspace.execute('echo still here')).toMatchObject({ exitCode: 0, stdout: 'still here\n' });
    } finally {
      await docker().getContainer(workspace.containerId).remove({ force: true });
    }
  });

  it('a missing image is a DockerImageNotFoundError naming it, and no container is left', async () => {
    const image = 'localhost/agentworkspace/does-not-exist:nope';
    const failure = await DockerWorkspace.create({ image, name: 'aw-test-bad-image' }).then(() => undefined, (err: unknown) => err);
    expect(failure).toBeInstanceOf(DockerImageNotFoundError);
    expect(failure).toMatchObject({ image });
    expect((failure as Error).message).toContain(image);
    expect(await managedNamed(docker(), 'aw-test-bad-image')).toEqual([]);
  });

  it('a server that exits before it is ready is a ContainerExitedError with its exit code and last log lines, and the container is removed', async () => {
    await ensureImage('server');
    const failure = await DockerWorkspace.create({ image: SERVER_IMAGE, name: 'aw-test-exits', env: { AGENT_SERVER_PORT: '99999' } })
      .then(() => undefined, (err: unknown) => err);
    expect(failure).toBeInstanceOf(ContainerExitedError);
    expect(failure).toMatchObject({ exitCode: 2 });
    expect((failure as ContainerExitedError).logTail).toContain('AGENT_SERVER_PORT');
    expect((failure as Error).message).toContain('AGENT_SERVER_PORT');
    expect(await managedNamed(docker(), 'aw-test-exits')).toEqual([]);
  });

  it('a host port in use is a PortInUseError naming it, and no container is left', async () => {
    await ensureImage('server');
    const taken: Server = createServer();
    await new Promise<void>((resolve, reject) => { taken.on('error', reject); taken.listen(0, '127.0.0.1', resolve); });
    const port = (taken.address() as { port: number }).port;
    try {
      const failure = await DockerWorkspace.create({ image: SERVER_IMAGE, name: 'aw-test-port', hostPort: port }).then(() => undefined, (err: unknown) => err);
      expect(failure).toBeInstanceOf(PortInUseError);
      expect(failure).toMatchObject({ port });
      expect((failure as Error).message).toContain(String(port));
      expect(await managedNamed(docker(), 'aw-test-port')).toEqual([]);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  it('agentws create --docker keeps a container for later commands (the key in a 0600 file); list shows it running; delete removes it', async () => {
    await ensureImage('server');
    const env = freshEnv({ DOCKER_HOST: process.env.DOCKER_HOST });
    const project = scratch('cli-project');
    chownSync(project, 10001, 10001);
    const created = await agentws(['create', '--docker', '--image', SERVER_IMAGE, '--name', 'box', '--mount', `${project}:/workspace`, '--json'], env);
    expect(created).toMatchObject({ code: 0 });
    const out = CreateOutputSchema.parse(JSON.parse(created.stdout));
    expect(out).toMatchObject({ name: 'box', kind: 'docker', image: SERVER_IMAGE, url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/) });
    expect(statSync(out.keyFile!).mode & 0o777).toBe(0o600);
    try {
      const exec = await agentws(['exec', 'box', '--json', '--', 'bash', '-c', 'id -u; echo hi > hello.txt'], env);
      expect(ExecOutputSchema.parse(JSON.parse(exec.stdout))).toMatchObject({ exitCode: 0, stdout: '10001\n' });
      expect(readFileSync(join(project, 'hello.txt'), 'utf8')).toBe('hi\n');
      const list = await agentws(['list', '--json'], env);
      expect(ListOutputSchema.parse(JSON.parse(list.stdout)).workspaces).toEqual([{ name: 'box', kind: 'docker', url: out.url, status: 'running' }]);
      const deleted = await agentws(['delete', 'box', '--json'], env);
      expect(DeleteOutputSchema.parse(JSON.parse(deleted.stdout))).toEqual({ name: 'box', kind: 'docker', deleted: true });
      expect(await exists(docker(), out.containerId!)).toBe(false);
      expect(ListOutputSchema.parse(JSON.parse((await agentws(['list', '--json'], env)).stdout)).workspaces).toEqual([]);
    } finally {
      if (await exists(docker(), out.containerId!)) await docker().getContainer(out.containerId!).remove({ force: true });
    }
  });

  it('the container of a process SIGKILLed before close() is removed by the next create', async () => {
    await ensureImage('server');
    const owner = spawn(NODE, ['--import', 'tsx', join(ROOT, 'test', 'e2e', 'docker', 'owner.ts')], {
      env: { ...process.env, IMAGE: SERVER_IMAGE }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    owner.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
    owner.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
    const exited = new Promise<string>((resolve) => owner.on('exit', (code, signal) => resolve(`the owner exited (${signal ?? code}): ${err}`)));
    const line = await waitFor(() => out.split('\n').find((l) => l.startsWith('{')), 'the owner to report its container', { timeoutMs: 120_000, failOn: exited });
    const { containerId } = JSON.parse(line) as { containerId: string };
    owner.kill('SIGKILL');
    await exited;
    expect(await exists(docker(), containerId)).toBe(true);
    const next = await DockerWorkspace.create({ image: SERVER_IMAGE });
    try {
      expect(await exists(docker(), containerId)).toBe(false);
    } finally {
      await next.close();
    }
  });
});
