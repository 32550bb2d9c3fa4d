// DockerDevWorkspace against podman's Docker-compatible API: a user's toolchain image (the project's local Debian base
// without node, plus a marker: test/e2e/docker/toolchain.Containerfile) gets the agent server built on top, the build
// streaming its output; the shared example script runs unchanged in it with the toolchain in reach; a second create
// finds the image by the base's digest and the server image and builds nothing, as `agentws create --docker-dev` does.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from '@jest/globals';
import Docker from 'dockerode';
import { startScriptedOpenAIServer, type AgentSpecInput } from '@agentworkspace/sdk';
import { DockerBuildError, DockerDevWorkspace, DockerImageNotFoundError, DockerWorkspace, type BuildProgress } from '@agentworkspace/sdk/docker';
import { LABEL_BASE_ID } from '../../sdk/src/docker/dev-image.js';
import { REPORT_TEXT, runExample } from '../../examples/sdk-conversation.js';
import { agentws, freshEnv } from '../../sdk/src/cli/cli.testkit.js';
import { CreateOutputSchema } from '@agentworkspace/sdk/cli/output';
import { ensureImage, run, SERVER_IMAGE } from '../support/cluster.js';
import { describeWithDocker, usePodmanDockerService } from '../support/docker-engine.js';
import { ROOT } from '../support/server.js';

const CONTAINERFILE = join(ROOT, 'test', 'e2e', 'docker', 'toolchain.Containerfile');
/** Tagged by its Containerfile's hash: worktrees sharing this machine's image storage never overwrite each other's. */
const TOOLCHAIN_IMAGE = `localhost/agentworkspace/toolchain-test:${createHash('sha256').update(readFileSync(CONTAINERFILE)).digest('hex').slice(0, 12)}`;

async function ensureToolchainImage(): Promise<string> {
  if ((await run('podman', ['image', 'exists', TOOLCHAIN_IMAGE])).code === 0) return TOOLCHAIN_IMAGE;
  const r = await run('bash', [join(ROOT, 'test', 'cluster', 'image.sh'), 'build', CONTAINERFILE, TOOLCHAIN_IMAGE, join(ROOT, 'test', 'e2e', 'docker')], {}, 20 * 60_000);
  if (r.code !== 0) throw new Error(`image.sh build of ${TOOLCHAIN_IMAGE} failed (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  return TOOLCHAIN_IMAGE;
}

const turns = [
  { tool_calls: [{ name: 'terminal', arguments: { command: 'cat $TOOLCHAIN_HOME/VERSION' } }] },
  { tool_calls: [{ name: 'terminal', arguments: { command: `echo "${REPORT_TEXT}" > report.txt` } }], expect_tool_result_contains: 'toolchain 1.0' },
  { tool_calls: [{ name: 'terminal', arguments: { command: 'wc -l report.txt' } }] },
  { tool_calls: [{ name: 'finish', arguments: { message: 'report written and counted' } }], expect_tool_result_contains: '1 report.txt' },
];

const scriptedAgent = (modelUrl: string): AgentSpecInput => ({
  llm: { model: 'openai/scripted', base_url: `http://host.docker.internal:${new URL(modelUrl).port}/v1`, api_key: 'sk-docker', num_retries: 0 },
  tools: [{ name: 'terminal' }, { name: 'file_editor' }],
}) as AgentSpecInput;

describeWithDocker('DockerDevWorkspace', () => {
  usePodmanDockerService();

  it('builds the server on a toolchain image with streamed progress, runs the example unchanged in it, and the second create builds nothing', async () => {
    await ensureImage('server');
    const baseImage = await ensureToolchainImage();
    const docker = new Docker();
    // A cold cache: the dev images of this toolchain image (from earlier runs) are removed first.
    const baseId = (await docker.getImage(baseImage).inspect()).Id;
    for (const img of await docker.listImages({ filters: { label: [`${LABEL_BASE_ID}=${baseId}`] } })) {
      await docker.getImage(img.Id).remove({ force: true });
    }

    const model = await startScriptedOpenAIServer({ script: { turns }, apiKey: 'sk-docker', host: '127.0.0.1' });
    const progress: BuildProgress[] = [];
    try {
      const first = await DockerDevWorkspace.create({ baseImage, serverImage: SERVER_IMAGE, onBuildProgress: (p) => progress.push(p) });
      expect(first).toBeInstanceOf(DockerWorkspace);
      expect(first.image.built).toBe(true);
      expect(progress.map((p) => p.line).join('\n')).toMatch(/FROM .*toolchain-test/);
      expect(progress.length).toBeGreaterThan(3);
      expect(await first.execute('command -v node; echo $TOOLCHAIN_HOME')).toMatchObject({ exitCode: 0, stdout: '/opt/toolchain\n' });
      const copy = join(mkdtempSync(join(tmpdir(), 'docker-dev-copy-')), 'report.txt');
      const result = await runExample(first, scriptedAgent(model.url), copy);
      expect(result).toMatchObject({ status: 'finished', lines: '1' });
      expect(readFileSync(copy, 'utf8').trim()).toBe(REPORT_TEXT);
      expect(model.player.violations).toEqual([]);

      // agentws create --docker-dev finds the same image; exec runs in the toolchain; delete removes the container.
      const env = freshEnv({ DOCKER_HOST: process.env.DOCKER_HOST });
      const created = await agentws(['create', '--docker-dev', baseImage, '--image', SERVER_IMAGE, '--name', 'dev', '--json'], env);
      expect(created).toMatchObject({ code: 0 });
      expect(CreateOutputSchema.parse(JSON.parse(created.stdout))).toMatchObject({ kind: 'docker', image: first.image.tag });
      expect(created.stderr).not.toMatch(/STEP|Step/);
      expect(await agentws(['exec', 'dev', '--', 'cat', '/opt/toolchain/VERSION'], env)).toMatchObject({ code: 0, stdout: 'toolchain 1.0\n' });
      expect(await agentws(['delete', 'dev'], env)).toMatchObject({ code: 0 });

      const built: BuildProgress[] = [];
      const second = await DockerDevWorkspace.create({ baseImage, serverImage: SERVER_IMAGE, onBuildProgress: (p) => built.push(p) });
      try {
        expect(second.image).toEqual({ tag: first.image.tag, built: false });
        expect(built).toEqual([]);
      } finally {
        await second.close();
      }
    } finally {
      await model.close();
    }
  });

  it('a missing base image is a DockerImageNotFoundError naming it; a base without a shell is a DockerBuildError with the build\'s last lines', async () => {
    await ensureImage('server');
    const missing = 'localhost/agentworkspace/no-such-base:1';
    const failure = await DockerDevWorkspace.create({ baseImage: missing, serverImage: SERVER_IMAGE }).then(() => undefined, (e: unknown) => e);
    expect(failure).toBeInstanceOf(DockerImageNotFoundError);
    expect((failure as Error).message).toContain(missing);
    // A base with no shell at all (scratch plus one file) fails at the Dockerfile's RUN.
    const docker = new Docker();
    const scratchBase = 'localhost/agentworkspace/dev-test-noshell:1';
    const context = mkdtempSync(join(tmpdir(), 'docker-noshell-'));
    writeFileSync(join(context, 'Dockerfile'), `FROM ${SERVER_IMAGE} AS s\nFROM scratch\nCOPY --from=s /app/server-image/package.json /marker.json\n`);
    const stream = await docker.buildImage({ context, src: ['Dockerfile'] }, { t: scratchBase });
    await new Promise((resolve, reject) => docker.modem.followProgress(stream, (err) => (err ? reject(err) : resolve(undefined))));
    try {
      const broken = await DockerDevWorkspace.create({ baseImage: scratchBase, serverImage: SERVER_IMAGE }).then(() => undefined, (e: unknown) => e);
      expect(broken).toBeInstanceOf(DockerBuildError);
      expect((broken as Error).message).toContain(scratchBase);
      expect((broken as DockerBuildError).log).not.toBe('');
    } finally {
      await docker.getImage(scratchBase).remove({ force: true });
    }
  });
});
