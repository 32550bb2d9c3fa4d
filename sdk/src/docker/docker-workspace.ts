// A workspace in a local container: the agent-server image started through the Docker Engine API (dockerode, from
// DOCKER_HOST) with a generated session key, its port published on 127.0.0.1 only, waited for on /ready. Everything
// after that is the RemoteWorkspace it extends (execute, upload, download, git, startConversation); close() stops and
// removes the container unless keepAlive. Stale containers of killed processes are reaped on the next create.
import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { createServer } from 'node:net';
import type Docker from 'dockerode';
import { silentLogger, type Logger } from '../logger.js';
import { RemoteWorkspace } from '../workspace/node-remote-workspace.js';
import { CONTAINER_PORT, containerSpec, folderUser } from './container-spec.js';
import { connectEngine, type Engine } from './engine.js';
import { WorkspaceStartError } from '../remote/errors.js';
import { DockerImageNotFoundError, PortInUseError, errorFromDocker, isPortInUse } from './errors.js';
import { ensureImage } from './images.js';
import { reapStaleContainers } from './labels.js';
import { networkPlan } from './network.js';
import { DockerWorkspaceOptionsSchema, type DockerWorkspaceOptions, type ParsedDockerWorkspaceOptions } from './options.js';
import { waitForServer } from './wait-ready.js';

/** Test seams: another dockerode client (default: `new Docker()`, configured from DOCKER_HOST). */
export interface DockerWorkspaceSeams {
  docker?: Docker;
}

/** A free port on 127.0.0.1 (for the host network, where the engine cannot pick one). */
function freeLocalPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function statOwner(path: string): { uid: number; gid: number } | undefined {
  try {
    const s = statSync(path);
    return { uid: s.uid, gid: s.gid };
  } catch {
    return undefined;
  }
}

/** What startServer() hands the constructor. */
export interface StartedServer {
  engine: Engine;
  containerId: string;
  containerName: string;
  url: string;
  sessionApiKey: string;
}

export class DockerWorkspace extends RemoteWorkspace {
  /** The container's id and name. */
  readonly containerId: string;
  readonly containerName: string;
  /** Which engine runs it (podman, docker-desktop, docker). */
  readonly engine: Engine['kind'];
  private readonly docker: Docker;
  private readonly endpoint: string;
  private readonly keepAlive: boolean;
  private readonly logger: Logger;
  private closed = false;

  protected constructor(started: StartedServer, options: Pick<ParsedDockerWorkspaceOptions, 'keepAlive' | 'workingDir'>, logger: Logger) {
    super({ url: started.url, sessionApiKey: started.sessionApiKey, workingDir: options.workingDir });
    this.containerId = started.containerId;
    this.containerName = started.containerName;
    this.engine = started.engine.kind;
    this.docker = started.engine.docker;
    this.endpoint = started.engine.endpoint;
    this.keepAlive = options.keepAlive;
    this.logger = logger;
  }

  /**
   * Starts the server's container and waits until it answers /ready. Throws DockerDaemonError (no engine),
   * DockerImageNotFoundError, PortInUseError, ContainerExitedError (with its last log lines) or
   * ContainerReadyTimeoutError; a failed start removes the container (unless keepAlive).
   */
  static async create(options: DockerWorkspaceOptions = {}, seams: DockerWorkspaceSeams = {}): Promise<DockerWorkspace> {
    const o = DockerWorkspaceOptionsSchema.parse(options);
    const logger = o.logger ?? silentLogger;
    const engine = await connectEngine(seams.docker);
    return new DockerWorkspace(await startServer(engine, o, logger), o, logger);
  }

  /** Stops and removes a container (one kept alive, e.g. by `agentws create --docker`); false when there is none. */
  static async remove(containerId: string, seams: DockerWorkspaceSeams = {}): Promise<boolean> {
    const engine = await connectEngine(seams.docker);
    return removeContainer(engine.docker, containerId, engine.endpoint, silentLogger, true);
  }

  /** A container's state (running, exited, paused…), or undefined when there is none. */
  static async state(containerId: string, seams: DockerWorkspaceSeams = {}): Promise<string | undefined> {
    const engine = await connectEngine(seams.docker);
    try {
      return (await engine.docker.getContainer(containerId).inspect()).State.Status;
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) return undefined;
      throw errorFromDocker(err, `inspect container ${containerId.slice(0, 12)}`, engine.endpoint);
    }
  }

  /** Stops (SIGTERM, then 10 s) and removes the container unless keepAlive. Idempotent. */
  override async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.keepAlive) return;
    await removeContainer(this.docker, this.containerId, this.endpoint, this.logger, true);
  }
}

/** Everything of create() after connecting; DockerDevWorkspace passes the image it built as `o.image`. */
export async function startServer(engine: Engine, o: ParsedDockerWorkspaceOptions, logger: Logger): Promise<StartedServer> {
  const { image } = o;
  await reapStaleContainers(engine.docker, logger).catch((err: unknown) => {
    throw errorFromDocker(err, 'list containers', engine.endpoint);
  });
  await ensureImage(engine, image, o.pull, o.platform, logger);
  const plan = networkPlan(engine.kind, o.network, o.hostLoopback);
  const hostNetworkPort = plan.publish ? undefined : (o.hostPort ?? await freeLocalPort());
  const sessionApiKey = randomBytes(32).toString('base64url');
  const name = o.name ?? `agentworkspace-${randomBytes(6).toString('hex')}`;
  const user = folderUser(o, engine, statOwner);
  const { query, body } = containerSpec({ options: o, image, name, sessionApiKey, plan, hostNetworkPort, user });
  let container: Docker.Container;
  try {
    // _query/_body: docker-modem would otherwise copy the whole body, session key included, into the URL.
    container = await engine.docker.createContainer({ _query: query, _body: body } as unknown as Docker.ContainerCreateOptions);
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) {
      throw new DockerImageNotFoundError(`The image ${image} disappeared before its container was created; pull or build it again.`, image, { cause: err });
    }
    throw errorFromDocker(err, `create container ${name} from ${image}`, engine.endpoint);
  }
  logger.info({ container: container.id.slice(0, 12), name, image, network: plan.networkMode ?? 'default', hostDockerInternal: plan.reaches, user: user.user ?? 'image' }, 'container created');
  try {
    try {
      await container.start();
    } catch (err) {
      if (isPortInUse(err)) {
        throw new PortInUseError(`Port ${o.hostPort ?? hostNetworkPort} on 127.0.0.1 is in use; free it, or leave hostPort unset for a free one.`, o.hostPort ?? hostNetworkPort ?? 0, { cause: err });
      }
      throw errorFromDocker(err, `start container ${name}`, engine.endpoint);
    }
    let port = hostNetworkPort;
    if (plan.publish) {
      const info = await container.inspect();
      const binding = info.NetworkSettings.Ports?.[`${CONTAINER_PORT}/tcp`]?.[0];
      port = Number(binding?.HostPort);
      if (!port) throw new WorkspaceStartError(`The engine published no host port for container ${name}'s ${CONTAINER_PORT}/tcp.`);
    }
    const url = `http://127.0.0.1:${port}`;
    await waitForServer({ docker: engine.docker, containerId: container.id, url, timeoutMs: o.readyTimeoutMs, endpoint: engine.endpoint, image });
    logger.info({ container: container.id.slice(0, 12), url }, 'agent server ready');
    return { engine, containerId: container.id, containerName: name, url, sessionApiKey };
  } catch (err) {
    if (!o.keepAlive) await removeContainer(engine.docker, container.id, engine.endpoint, logger);
    throw err;
  }
}

/** Stops and removes a container; false when it was not there. `strict` rethrows other failures. */
async function removeContainer(docker: Docker, id: string, endpoint: string, logger: Logger, strict = false): Promise<boolean> {
  const container = docker.getContainer(id);
  try {
    await container.stop({ t: 10 }).catch((err: unknown) => {
      const status = (err as { statusCode?: number }).statusCode;
      if (status !== 304 && status !== 404) throw err;
    });
    await container.remove({ force: true });
    return true;
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return false;
    const classified = errorFromDocker(err, `remove container ${id.slice(0, 12)}`, endpoint);
    if (strict) throw classified;
    logger.warn({ container: id.slice(0, 12), err: String(classified) }, 'could not remove the container');
    return false;
  }
}
