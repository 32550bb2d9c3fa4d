// The container DockerWorkspace starts, as pure data (the Engine API's create body): the server image with a session
// key, its port published on 127.0.0.1 only, the mounts, the user that owns the mounted folder, the network plan,
// and the labels the reaper reads.
import { resolve } from 'node:path';
import type { Engine } from './engine.js';
import { ownerLabels } from './labels.js';
import type { NetworkPlan } from './network.js';
import type { ParsedDockerWorkspaceOptions } from './options.js';

/** The server's port in the container (server-image/Containerfile: AGENT_SERVER_PORT). */
export const CONTAINER_PORT = 8000;

export interface ContainerSpecInput {
  options: ParsedDockerWorkspaceOptions;
  image: string;
  name: string;
  sessionApiKey: string;
  plan: NetworkPlan;
  /** The server's port on the host network (network 'host' only). */
  hostNetworkPort?: number | undefined;
  /** Result of folderUser(). */
  user: UserPlan;
  /** This process's environment, for forwardEnv. */
  env?: NodeJS.ProcessEnv | undefined;
}

export interface UserPlan {
  /** Config.User; undefined: the image's (10001:10001). */
  user: string | undefined;
  /** HostConfig.UsernsMode (rootless podman: keep-id maps the host user to the same uid inside). */
  usernsMode: string | undefined;
}

/**
 * Who the container runs as so that the host folder mounted at `workingDir` stays its owner's: Docker Engine and
 * rootful podman share the host's uids, so the folder owner's uid:gid; rootless podman maps it with keep-id;
 * rootless Docker maps container root to the user who runs it. Root-owned folders, remote engines and no such
 * mount keep the image's user. An explicit `user` wins.
 */
export function folderUser(
  options: Pick<ParsedDockerWorkspaceOptions, 'user' | 'mounts' | 'workingDir'>,
  engine: Pick<Engine, 'kind' | 'rootless' | 'local'>,
  statOwner: (path: string) => { uid: number; gid: number } | undefined,
): UserPlan {
  if (options.user) return { user: options.user, usernsMode: undefined };
  const mount = options.mounts.find((m) => m.target.replace(/\/+$/, '') === options.workingDir.replace(/\/+$/, ''));
  if (!mount || !engine.local) return { user: undefined, usernsMode: undefined };
  const owner = statOwner(resolve(mount.source));
  if (!owner || owner.uid === 0) return { user: undefined, usernsMode: undefined };
  if (engine.rootless && engine.kind === 'podman') return { user: `${owner.uid}:${owner.gid}`, usernsMode: 'keep-id' };
  if (engine.rootless) return { user: '0:0', usernsMode: undefined };
  return { user: `${owner.uid}:${owner.gid}`, usernsMode: undefined };
}

/** The create call: `query` goes in the URL (name, platform), `body` in the request, so the key never lands in a URL. */
export function containerSpec(input: ContainerSpecInput): { query: Record<string, string>; body: Record<string, unknown> } {
  const { options: o, plan } = input;
  const env: Record<string, string> = {};
  for (const name of o.forwardEnv) {
    const value = (input.env ?? process.env)[name];
    if (value !== undefined) env[name] = value;
  }
  Object.assign(env, o.env);
  env.OH_SESSION_API_KEYS_0 = input.sessionApiKey;
  if (!plan.publish) {
    env.AGENT_SERVER_HOST = '127.0.0.1';
    env.AGENT_SERVER_PORT = String(input.hostNetworkPort);
  }
  const port = `${CONTAINER_PORT}/tcp`;
  const hostConfig: Record<string, unknown> = {
    Mounts: o.mounts.map((m) => ({ Type: 'bind', Source: resolve(m.source), Target: m.target, ReadOnly: m.readOnly })),
    ExtraHosts: plan.extraHosts,
  };
  if (plan.networkMode) hostConfig.NetworkMode = plan.networkMode;
  if (plan.publish) hostConfig.PortBindings = { [port]: [{ HostIp: '127.0.0.1', HostPort: o.hostPort ? String(o.hostPort) : '' }] };
  if (input.user.usernsMode) hostConfig.UsernsMode = input.user.usernsMode;
  const body: Record<string, unknown> = {
    Image: input.image,
    Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
    Labels: { ...o.labels, ...ownerLabels(o.keepAlive) },
    HostConfig: hostConfig,
  };
  if (plan.publish) body.ExposedPorts = { [port]: {} };
  if (input.user.user) body.User = input.user.user;
  return { query: { name: input.name, ...(o.platform ? { platform: o.platform } : {}) }, body };
}
