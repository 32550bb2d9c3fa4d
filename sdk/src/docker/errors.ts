// The Docker workspaces' failure classes, under the SDK's one base class and matched by class. Each message names
// the cause and what to do. Classification of the engine's answers happens here only: `errorFromDocker`.
import { APIError, ConnectionError, TimeoutError, WorkspaceStartError } from '../remote/errors.js';

/** How to get an engine listening, appended to every "no daemon" message. */
export const START_A_DAEMON =
  'Start one: Docker Desktop (open the app), Docker Engine on Linux (`sudo systemctl start docker`), or podman ' +
  '(`podman system service --time=0 unix:///run/podman/podman.sock` and DOCKER_HOST=unix:///run/podman/podman.sock); ' +
  'or point DOCKER_HOST at the one you have.';

/** No Docker Engine API answers at DOCKER_HOST (or the default socket): not running, wrong address, no permission. */
export class DockerDaemonError extends ConnectionError {
  override readonly name: string = 'DockerDaemonError';
  constructor(message: string, readonly endpoint: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The engine refused a call (`status` 4xx/5xx) for a reason no other class names. */
export class DockerAPIError extends APIError {
  override readonly name: string = 'DockerAPIError';
}

/** The image is neither local nor pullable (wrong name or tag, no registry access); `image` names it. */
export class DockerImageNotFoundError extends WorkspaceStartError {
  override readonly name: string = 'DockerImageNotFoundError';
  constructor(message: string, readonly image: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The host port asked for (`hostPort`) is taken by another process or container. */
export class PortInUseError extends WorkspaceStartError {
  override readonly name: string = 'PortInUseError';
  constructor(message: string, readonly port: number, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The server's container stopped before it was ready; `exitCode` and its last log lines say why. */
export class ContainerExitedError extends WorkspaceStartError {
  override readonly name: string = 'ContainerExitedError';
  constructor(message: string, readonly containerId: string, readonly exitCode: number, readonly logTail: string) {
    super(message);
  }
}

/** The server did not answer /ready within `readyTimeoutMs`; `logTail` is the container's last log lines. */
export class ContainerReadyTimeoutError extends TimeoutError {
  override readonly name: string = 'ContainerReadyTimeoutError';
  constructor(message: string, readonly containerId: string, readonly logTail: string) {
    super(message);
  }
}

/** Building a DockerDevWorkspace's image failed; `log` is the build's last output lines. */
export class DockerBuildError extends WorkspaceStartError {
  override readonly name: string = 'DockerBuildError';
  constructor(message: string, readonly image: string, readonly log: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

const NO_DAEMON_CODES = new Set(['ENOENT', 'ECONNREFUSED', 'EACCES', 'EPERM', 'ECONNRESET', 'EHOSTUNREACH', 'ENOTFOUND', 'ETIMEDOUT']);

/** True when `err` (from docker-modem) means nothing answers at the endpoint. */
export function isNoDaemon(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' && NO_DAEMON_CODES.has(code);
}

/** What the engine said: docker-modem puts the body's `message` in `json`, else the text in `reason`/`message`. */
export function engineMessage(err: unknown): string {
  const e = err as { json?: unknown; reason?: unknown; message?: unknown };
  const json = e?.json as { message?: unknown } | string | null | undefined;
  if (json && typeof json === 'object' && typeof json.message === 'string') return json.message;
  if (typeof json === 'string' && json.trim()) return json.trim();
  return String(e?.reason ?? e?.message ?? err);
}

/**
 * A dockerode failure as its class: nothing at the endpoint → DockerDaemonError; an HTTP status → DockerAPIError
 * (the callers that know an image or a port turn 404s and "address in use" into theirs first); anything else as is.
 */
export function errorFromDocker(err: unknown, what: string, endpoint: string): unknown {
  if (isNoDaemon(err)) {
    const code = (err as { code: string }).code;
    const why = code === 'EACCES' || code === 'EPERM' ? 'permission denied (add yourself to the docker group, or use a rootless engine)' : code;
    return new DockerDaemonError(`${what}: no Docker Engine API at ${endpoint} (${why}). ${START_A_DAEMON}`, endpoint, { cause: err });
  }
  const status = (err as { statusCode?: unknown })?.statusCode;
  if (typeof status === 'number' && status >= 400) {
    return new DockerAPIError(`${what}: ${status} ${engineMessage(err)}`, status, (err as { json?: unknown }).json, { cause: err });
  }
  return err;
}

/** True when the engine's refusal says a host port is taken (Docker: "port is already allocated"; podman: "address already in use"). */
export function isPortInUse(err: unknown): boolean {
  return /address already in use|port is already allocated|bind: address/i.test(engineMessage(err));
}
