// The Docker Engine API connection: dockerode configured from DOCKER_HOST (unix://, tcp://, ssh://, npipe://; unset:
// /var/run/docker.sock, or Docker Desktop's ~/.docker/run/docker.sock), and which engine answers there, because
// what a container can reach of the host differs between Docker Engine on Linux, Docker Desktop and podman.
import Docker from 'dockerode';
import { errorFromDocker } from './errors.js';

/** podman (its Docker-compatible service), Docker Desktop (a VM on macOS/Windows/Linux) or Docker Engine on Linux. */
export type EngineKind = 'podman' | 'docker-desktop' | 'docker';

export interface Engine {
  docker: Docker;
  /** Where the engine was looked for, for messages: DOCKER_HOST or the default socket. */
  endpoint: string;
  kind: EngineKind;
  /** The engine's version, e.g. "4.3.1" (podman) or "27.3.1" (Docker). */
  version: string;
  /** True when the engine runs rootless (its containers' root is the user who started it). */
  rootless: boolean;
  /** True when the engine runs on this machine (a unix socket or a named pipe), so host paths and ports are ours. */
  local: boolean;
}

/** The endpoint as messages name it. */
export function endpointOf(env: NodeJS.ProcessEnv = process.env): string {
  return env.DOCKER_HOST || 'unix:///var/run/docker.sock (or ~/.docker/run/docker.sock)';
}

/** Engine kind from /version's components and /info's operating system. */
export function engineKind(version: { Components?: Array<{ Name?: string }> }, info: { OperatingSystem?: string }): EngineKind {
  if (version.Components?.some((c) => /podman/i.test(c.Name ?? ''))) return 'podman';
  if (/docker desktop/i.test(info.OperatingSystem ?? '')) return 'docker-desktop';
  return 'docker';
}

/** Connects (one /version and one /info call); throws DockerDaemonError when nothing answers. */
export async function connectEngine(docker: Docker = new Docker(), env: NodeJS.ProcessEnv = process.env): Promise<Engine> {
  const endpoint = endpointOf(env);
  try {
    const [version, info] = await Promise.all([docker.version(), docker.info() as Promise<{ OperatingSystem?: string; SecurityOptions?: string[] }>]);
    const podmanVersion = version.Components?.find((c) => /podman/i.test(c.Name))?.Version;
    return {
      docker, endpoint,
      kind: engineKind(version, info),
      version: podmanVersion ?? version.Version,
      rootless: (info.SecurityOptions ?? []).some((o) => /rootless/.test(o)),
      local: !env.DOCKER_HOST || /^(unix|npipe):\/\//.test(env.DOCKER_HOST),
    };
  } catch (err) {
    throw errorFromDocker(err, 'connect to the Docker engine', endpoint);
  }
}
