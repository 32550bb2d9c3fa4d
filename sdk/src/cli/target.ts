// From a workspace name to a connected Workspace: a name in the config file (config.ts) is a local directory,
// an agent server by URL or a Docker container's server; any other name is an AgentWorkspace in Kubernetes, attached (never deleted) with
// KubernetesWorkspace.attach. @agentworkspace/sdk/kubernetes (and with it client-node) loads only then.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { RemoteWorkspace } from '../workspace/node-remote-workspace.js';
import { LocalWorkspace } from '../workspace/local-workspace.js';
import { KubernetesAPIError } from '../kubernetes/errors.js';
import type { ReadyProgress } from '../kubernetes/wait-ready.js';
import { configFile, loadConfig, readKeyFile, WorkspaceNameSchema, type WorkspaceEntry } from './config.js';
import { CliError } from './errors.js';
import { paint, warn, writeLine, type Io } from './io.js';

/** The flags that say where Kubernetes workspaces are. */
export interface KubernetesFlags {
  namespace?: string | undefined;
  kubeconfig?: string | undefined;
}

export type WorkspaceKind = 'kubernetes' | 'local' | 'url' | 'docker';

export interface Target {
  name: string;
  kind: WorkspaceKind;
  workspace: LocalWorkspace | RemoteWorkspace;
}

/** True when there is a kubeconfig to look in: --kubeconfig, $KUBECONFIG, ~/.kube/config, or a pod's service account. */
export function hasKubeconfig(flags: KubernetesFlags, env: NodeJS.ProcessEnv): boolean {
  return Boolean(flags.kubeconfig || env.KUBECONFIG || env.KUBERNETES_SERVICE_HOST || existsSync(join(env.HOME || homedir(), '.kube', 'config')));
}

/** The SDK's Kubernetes entry, loaded on first use. */
export const kubernetes = () => import('../kubernetes.js');

/** The SDK's Docker entry (and dockerode), loaded on first use. */
export const docker = () => import('../docker.js');

export function checkName(name: string): string {
  const parsed = WorkspaceNameSchema.safeParse(name);
  if (!parsed.success) throw new CliError(`"${name}": ${parsed.error.issues[0]!.message}`);
  return name;
}

/** A workspace of the config file, connected. */
export function fromEntry(name: string, entry: WorkspaceEntry, io: Io): Target {
  if (entry.kind === 'local') return { name, kind: 'local', workspace: new LocalWorkspace(entry.dir) };
  const sessionApiKey = entry.keyFile ? readKeyFile(entry.keyFile, name, (m) => warn(io, m)) : undefined;
  if (entry.kind === 'docker') return { name, kind: 'docker', workspace: new RemoteWorkspace({ url: entry.url, sessionApiKey }) };
  return { name, kind: 'url', workspace: new RemoteWorkspace({ url: entry.url, sessionApiKey, workingDir: entry.workingDir }) };
}

/** The error for a name that is neither in the config file nor (`lookedInKubernetes`) an AgentWorkspace. */
export function noSuchWorkspace(name: string, flags: KubernetesFlags, env: NodeJS.ProcessEnv, lookedInKubernetes: boolean, cause?: unknown): CliError {
  const kube = lookedInKubernetes ? ` nor an AgentWorkspace in namespace ${flags.namespace ?? '(the kubeconfig\'s)'}` : ', and there is no kubeconfig to look in Kubernetes';
  return new CliError(`no workspace "${name}": not in ${configFile(env)}${kube}; see agentws list`, undefined, { cause });
}

/** Prints the Ready conditions a Kubernetes workspace passes through while a command waits for it. */
const waitingProgress = (io: Io) => (p: ReadyProgress): void => {
  if (p.status !== 'True') writeLine(io.stderr, paint(io.stderr, 'dim', `${p.namespace}/${p.name}: ${p.reason ?? 'waiting'}${p.message ? ` — ${p.message}` : ''}`));
};

/**
 * The workspace called `name`. A Kubernetes one is waited for until Ready (the wait printed on stderr) and its
 * close() only stops the local forwarder. Unknown names are a CliError saying where the CLI looked.
 */
export async function openWorkspace(name: string, flags: KubernetesFlags, io: Io): Promise<Target> {
  checkName(name);
  const entry = loadConfig(io.env).workspaces[name];
  if (entry) return fromEntry(name, entry, io);
  if (!hasKubeconfig(flags, io.env)) throw noSuchWorkspace(name, flags, io.env, false);
  const { KubernetesWorkspace } = await kubernetes();
  try {
    const workspace = await KubernetesWorkspace.attach({ name, namespace: flags.namespace, kubeconfig: flags.kubeconfig, keepAlive: true, onProgress: waitingProgress(io) });
    return { name, kind: 'kubernetes', workspace };
  } catch (err) {
    if (err instanceof KubernetesAPIError && err.status === 404) {
      throw noSuchWorkspace(name, flags, io.env, true, err);
    }
    throw err;
  }
}
