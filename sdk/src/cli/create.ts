// agentws create: a Kubernetes workspace (an AgentWorkspace, waited for until Ready with its progress on
// stderr), a Docker container (--docker, or --docker-dev BASE to build the server on BASE first; kept running,
// remembered with its session key in a 0600 file), or an entry in the config file for a local directory or an
// agent server by URL (checked first).
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { z } from 'zod';
import { RemoteWorkspace } from '../workspace/node-remote-workspace.js';
import { WorkspaceNotReadyError, WorkspaceReadyTimeoutError } from '../kubernetes/errors.js';
import type { ReadyProgress } from '../kubernetes/wait-ready.js';
import { configFile, dockerKeyFile, loadConfig, readKeyFile, saveConfig, WorkspaceNameSchema, type WorkspaceEntry } from './config.js';
import { act, positiveInt, seconds, withJson, withKubernetes, type Context, type KubernetesOptions } from './command.js';
import { CliError, UsageError } from './errors.js';
import { EXIT } from './exit-codes.js';
import { paint, warn, writeJson, writeLine, type Io } from './io.js';
import type { CreateOutput } from './output.js';
import { checkName, docker, kubernetes } from './target.js';

interface CreateOptions extends KubernetesOptions {
  kubernetes?: boolean;
  docker?: boolean;
  dockerDev?: string;
  mount?: string[];
  port?: number;
  local?: string;
  url?: string;
  keyFile?: string;
  workingDir?: string;
  name?: string;
  image?: string;
  llmSecret?: string;
  pool?: string;
  timeout?: number;
}

/** A name from a directory or host when none is given: lowercased, other characters as "-". */
function derivedName(from: string): string {
  const name = from.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63).replace(/-+$/, '');
  if (!WorkspaceNameSchema.safeParse(name).success) throw new UsageError(`cannot make a workspace name from "${from}"; give --name`);
  return name;
}

function remember(io: Io, name: string, entry: WorkspaceEntry): void {
  const config = loadConfig(io.env);
  if (config.workspaces[name]) throw new CliError(`a workspace "${name}" is already in ${configFile(io.env)}; agentws delete ${name} first, or pick another --name`);
  config.workspaces[name] = entry;
  saveConfig(io.env, config);
}

function print(io: Io, o: CreateOptions, out: CreateOutput, where: string): number {
  if (o.json) writeJson(io.stdout, out);
  else writeLine(io.stdout, `${paint(io.stdout, 'bold', out.name)} ${paint(io.stdout, 'dim', `(${out.kind}, ${where})`)}`);
  return EXIT.ok;
}

async function createLocal(io: Io, o: CreateOptions, local: string): Promise<number> {
  const dir = resolve(io.cwd, local);
  const name = o.name ? checkName(o.name) : derivedName(basename(dir));
  mkdirSync(dir, { recursive: true });
  remember(io, name, { kind: 'local', dir });
  return print(io, o, { name, kind: 'local', dir }, dir);
}

async function createUrl(io: Io, o: CreateOptions, url: string): Promise<number> {
  if (!z.url({ protocol: /^https?$/ }).safeParse(url).success) throw new UsageError(`--url: "${url}" is not an http(s) URL`);
  if (o.workingDir && !o.workingDir.startsWith('/')) throw new UsageError('--working-dir: give an absolute path on the server');
  const parsed = new URL(url);
  const name = o.name ? checkName(o.name) : derivedName(`${parsed.hostname}-${parsed.port}`);
  const keyFile = o.keyFile ? resolve(io.cwd, o.keyFile) : undefined;
  const sessionApiKey = keyFile ? readKeyFile(keyFile, name, (m) => warn(io, m)) : undefined;
  // One authenticated, read-only call: the URL answers and the key is accepted.
  await new RemoteWorkspace({ url, sessionApiKey, maxRetries: 0 }).http.request('GET', '/api/conversations/count', { schema: z.number() });
  remember(io, name, { kind: 'url', url, ...(keyFile ? { keyFile } : {}), ...(o.workingDir ? { workingDir: o.workingDir } : {}) });
  return print(io, o, { name, kind: 'url', url, ...(keyFile ? { keyFile } : {}) }, url);
}

/** --mount HOST:TARGET[:ro], repeatable. */
function mountFlag(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function parseMount(io: Io, value: string): { source: string; target: string; readOnly: boolean } {
  const m = /^(.+?):(\/[^:]*)(:ro)?$/.exec(value);
  if (!m) throw new UsageError(`--mount: "${value}" is not HOST_DIR:/container/path[:ro]`);
  return { source: resolve(io.cwd, m[1]!), target: m[2]!, readOnly: Boolean(m[3]) };
}

async function createDocker(io: Io, o: CreateOptions): Promise<number> {
  const name = o.name ? checkName(o.name) : `docker-${randomBytes(3).toString('hex')}`;
  if (loadConfig(io.env).workspaces[name]) throw new CliError(`a workspace "${name}" is already in ${configFile(io.env)}; agentws delete ${name} first, or pick another --name`);
  const { DockerWorkspace, DockerDevWorkspace, DEFAULT_SERVER_IMAGE } = await docker();
  const common = {
    name: `agentws-${name}`, keepAlive: true, mounts: (o.mount ?? []).map((m) => parseMount(io, m)),
    ...(o.port ? { hostPort: o.port } : {}), ...(o.timeout ? { readyTimeoutMs: Math.round(o.timeout * 1000) } : {}),
  };
  const dim = (line: string) => writeLine(io.stderr, paint(io.stderr, 'dim', line));
  let workspace;
  let image: string;
  if (o.dockerDev !== undefined) {
    dim(`building the agent server on ${o.dockerDev} (cached by its digest)…`);
    workspace = await DockerDevWorkspace.create({ ...common, baseImage: o.dockerDev, ...(o.image ? { serverImage: o.image } : {}), onBuildProgress: (p) => dim(p.line) });
    image = workspace.image.tag;
  } else {
    dim(`starting a container${o.image ? ` of ${o.image}` : ''}…`);
    workspace = await DockerWorkspace.create({ ...common, ...(o.image ? { image: o.image } : {}) });
    image = o.image ?? DEFAULT_SERVER_IMAGE;
  }
  const keyFile = dockerKeyFile(io.env, name);
  try {
    mkdirSync(dirname(keyFile), { recursive: true, mode: 0o700 });
    writeFileSync(keyFile, `${workspace.sessionApiKey}\n`, { mode: 0o600 });
    remember(io, name, { kind: 'docker', url: workspace.url, keyFile, containerId: workspace.containerId, image });
  } catch (err) {
    await DockerWorkspace.remove(workspace.containerId);
    throw err;
  }
  return print(io, o, { name, kind: 'docker', url: workspace.url, keyFile, containerId: workspace.containerId, image }, `container ${workspace.containerName}, ${workspace.url}`);
}

async function createKubernetes(io: Io, o: CreateOptions): Promise<number> {
  if (o.name) {
    checkName(o.name);
    if (loadConfig(io.env).workspaces[o.name]) throw new CliError(`"${o.name}" is a workspace in ${configFile(io.env)}; pick another --name`);
  }
  const { KubernetesWorkspace } = await kubernetes();
  const progress = (p: ReadyProgress) => writeLine(io.stderr, paint(io.stderr, 'dim', `${p.namespace}/${p.name}: ${p.reason ?? p.status ?? 'waiting'}${p.message ? ` — ${p.message}` : ''}`));
  writeLine(io.stderr, paint(io.stderr, 'dim', `creating an AgentWorkspace${o.name ? ` ${o.name}` : ''}; waiting until it is Ready…`));
  let workspace;
  try {
    workspace = await KubernetesWorkspace.create({
      name: o.name, namespace: o.namespace, kubeconfig: o.kubeconfig, image: o.image, llm: o.llmSecret ? { secretName: o.llmSecret } : undefined, pool: o.pool,
      keepAlive: true, onProgress: progress, ...(o.timeout ? { readyTimeoutMs: Math.round(o.timeout * 1000) } : {}),
    });
  } catch (err) {
    // It was created but never became Ready: remove it, as a failed create without keepAlive does.
    if (err instanceof WorkspaceNotReadyError || err instanceof WorkspaceReadyTimeoutError) {
      const [namespace, name] = err.workspace.split('/') as [string, string];
      await KubernetesWorkspace.delete({ name, namespace, kubeconfig: o.kubeconfig }).catch(() => false);
      writeLine(io.stderr, paint(io.stderr, 'dim', `deleted the AgentWorkspace ${err.workspace}`));
    }
    throw err;
  }
  await workspace.close(); // keepAlive: only the local forwarder stops
  return print(io, o, { name: workspace.name, kind: 'kubernetes', namespace: workspace.namespace, url: workspace.clusterUrl }, `namespace ${workspace.namespace}`);
}

export function registerCreate(program: Command, ctx: Context): void {
  const cmd = program.command('create')
    .description('create a workspace: an AgentWorkspace in Kubernetes (the default), or remember a local directory or an agent server')
    .addOption(new Option('--kubernetes', 'an AgentWorkspace in Kubernetes, waited for until Ready (the default)').conflicts(['local', 'url', 'docker', 'dockerDev']))
    .addOption(new Option('--docker', 'a container of the agent-server image on the Docker engine at DOCKER_HOST, kept running until delete').conflicts(['local', 'url', 'dockerDev']))
    .addOption(new Option('--docker-dev <base>', 'like --docker, on an image built from BASE (your toolchain image) with the agent server added').conflicts(['local', 'url']))
    .addOption(new Option('--local <dir>', 'a directory on this machine; the agent runs in this process').conflicts(['url']))
    .option('--url <url>', 'an agent server already running')
    .option('--key-file <file>', 'with --url: a file holding the session key (the config keeps the path, never the key)')
    .option('--working-dir <dir>', 'with --url: the agent\'s directory on the server (default /workspace)')
    .option('--name <name>', 'the workspace\'s name (default: generated in Kubernetes; the directory or host name otherwise)')
    .option('--image <image>', 'the agent-server image (Kubernetes default: the operator\'s; Docker: localhost/agentworkspace/agent-server:dev)')
    .option('--mount <host:target[:ro]>', 'Docker: bind-mount a host directory (repeatable), e.g. ./project:/workspace', mountFlag)
    .option('--port <port>', 'Docker: the server\'s port on 127.0.0.1 (default: a free one)', positiveInt)
    .option('--llm-secret <secret>', 'Kubernetes: a Secret in the namespace with the LLM settings (keys model, apiKey, baseUrl)')
    .addOption(new Option('--pool <pool>', 'Kubernetes: claim a warm pod of this AgentWorkspacePool (a cold start when it has none ready)').conflicts(['image']))
    .option('--timeout <seconds>', 'Kubernetes and Docker: how long to wait for Ready (default 300 and 120)', seconds);
  withKubernetes(withJson(cmd)).addHelpText('after', `
Examples:
  agentws create --name demo                      # Kubernetes, the kubeconfig's namespace
  agentws create --pool warm --name fast          # Kubernetes, a warm pod of the AgentWorkspacePool "warm"
  agentws create --docker --mount ./project:/workspace --name box
  agentws create --docker-dev python:3.12-bookworm --name py
  agentws create --local ./project
  agentws create --url http://127.0.0.1:8000 --key-file ~/.agentws-key --name dev`);
  act<CreateOptions>(cmd, ctx, async (o) => {
    const docker = o.docker || o.dockerDev !== undefined;
    if (!docker) for (const [flag, given] of [['--mount', o.mount], ['--port', o.port]] as const) if (given !== undefined) throw new UsageError(`${flag} is for Docker workspaces`);
    if (docker) {
      for (const [flag, given] of [['--key-file', o.keyFile], ['--working-dir', o.workingDir], ['--llm-secret', o.llmSecret], ['--pool', o.pool], ['--namespace', o.namespace], ['--kubeconfig', o.kubeconfig]] as const) {
        if (given !== undefined) throw new UsageError(`${flag} is not for Docker workspaces`);
      }
      for (const m of o.mount ?? []) parseMount(ctx.io, m);
      return createDocker(ctx.io, o);
    }
    if (o.local === undefined && o.url === undefined) {
      for (const [flag, given] of [['--key-file', o.keyFile], ['--working-dir', o.workingDir]] as const) if (given) throw new UsageError(`${flag} goes with --url`);
      return createKubernetes(ctx.io, o);
    }
    for (const [flag, given] of [['--image', o.image], ['--llm-secret', o.llmSecret], ['--pool', o.pool], ['--timeout', o.timeout], ['--namespace', o.namespace], ['--kubeconfig', o.kubeconfig]] as const) {
      if (given !== undefined) throw new UsageError(`${flag} is for Kubernetes workspaces`);
    }
    if (o.local !== undefined) {
      for (const [flag, given] of [['--key-file', o.keyFile], ['--working-dir', o.workingDir]] as const) if (given) throw new UsageError(`${flag} goes with --url`);
      return createLocal(ctx.io, o, o.local);
    }
    return createUrl(ctx.io, o, o.url!);
  });
}
