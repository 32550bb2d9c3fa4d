// DockerDevWorkspace's image: the agent server (its /app and node from the server image) on top of a base image of
// the user's own (their toolchain), with the image's user 10001 and /workspace, built through the Engine API with
// its output streamed. Tagged by a hash of the base's and the server image's ids (digests) and of the Dockerfile,
// so the same inputs build once and every later create finds the image.
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import type { Logger } from '../logger.js';
import type { Engine } from './engine.js';
import { DockerBuildError, engineMessage, errorFromDocker, isNoDaemon } from './errors.js';

export const DEV_IMAGE_REPO = 'localhost/agentworkspace/dev-server';
/** Where the server goes in the dev image: out of the way of a base image's own /app. */
export const DEV_SERVER_DIR = '/opt/agentworkspace';
/** Where the server image keeps node (node:24-bookworm-slim and the project's base both). */
const SERVER_NODE = '/usr/local/bin/node';
export const LABEL_BASE_ID = 'dev.agentworkspace.base-image-id';
export const LABEL_SERVER_ID = 'dev.agentworkspace.server-image-id';

/** One line of the build's output. */
export interface BuildProgress {
  line: string;
}

export interface DevImage {
  tag: string;
  /** False when the tag was already there (same base digest, server image and Dockerfile). */
  built: boolean;
}

type ImageConfig = Pick<Docker.ImageInspectInfo, 'Config'>;

/** The Dockerfile: the server image's environment, user, working directory and command, on `baseImage`. */
export function devImageDockerfile(baseImage: string, serverImage: string, server: ImageConfig): string {
  const env = (server.Config.Env ?? []).filter((e) => !e.startsWith('PATH='));
  const cmd = (server.Config.Cmd ?? []).map((a, i) => (i === 0 && a === 'node' ? `${DEV_SERVER_DIR}/bin/node` : a.replace(/^\/app\//, `${DEV_SERVER_DIR}/app/`)));
  const ports = Object.keys(server.Config.ExposedPorts ?? {});
  return [
    `FROM ${serverImage} AS server`,
    `FROM ${baseImage}`,
    'USER 0:0',
    `COPY --from=server /app ${DEV_SERVER_DIR}/app`,
    `COPY --from=server ${SERVER_NODE} ${DEV_SERVER_DIR}/bin/node`,
    // The agent's terminal needs bash and git; install them only when missing and apt-get is there.
    'RUN set -e; for t in bash git ps rg; do command -v "$t" >/dev/null 2>&1 || missing=1; done; \\',
    '    if [ -n "${missing:-}" ] && command -v apt-get >/dev/null; then apt-get update && apt-get install -y --no-install-recommends bash git ca-certificates procps ripgrep && rm -rf /var/lib/apt/lists/*; fi; \\',
    '    getent group 10001 >/dev/null || groupadd --gid 10001 agent 2>/dev/null || echo "agent:x:10001:" >> /etc/group; \\',
    '    getent passwd 10001 >/dev/null || useradd --uid 10001 --gid 10001 --home-dir /workspace --no-create-home --shell /bin/bash agent 2>/dev/null \\',
    '      || echo "agent:x:10001:10001::/workspace:/bin/bash" >> /etc/passwd; \\',
    '    mkdir -p /workspace && chown 10001:10001 /workspace',
    ...(env.length ? [`ENV ${env.map((e) => { const i = e.indexOf('='); return `${e.slice(0, i)}=${JSON.stringify(e.slice(i + 1))}`; }).join(' ')}`] : []),
    `USER ${server.Config.User || '10001:10001'}`,
    `WORKDIR ${server.Config.WorkingDir || '/workspace'}`,
    ...(ports.length ? [`EXPOSE ${ports.join(' ')}`] : []),
    `CMD ${JSON.stringify(cmd)}`,
    '',
  ].join('\n');
}

/** The tag for these inputs. */
export function devImageTag(baseId: string, serverId: string, dockerfile: string): string {
  return `${DEV_IMAGE_REPO}:${createHash('sha256').update(`${baseId}\n${serverId}\n${dockerfile}`).digest('hex').slice(0, 16)}`;
}

interface BuildEvent {
  stream?: string;
  status?: string;
  error?: string;
}

/**
 * The dev image for `baseImage` (both images already on the engine: `base` and `server` are their inspect data):
 * found by its tag, or built with each output line passed to `onProgress`. Throws DockerBuildError with the last lines.
 */
export async function buildDevImage(
  engine: Engine,
  input: { baseImage: string; serverImage: string; base: Docker.ImageInspectInfo; server: Docker.ImageInspectInfo; platform?: string | undefined },
  onProgress: (p: BuildProgress) => void,
  logger: Logger,
): Promise<DevImage> {
  const dockerfile = devImageDockerfile(input.baseImage, input.serverImage, input.server);
  const tag = devImageTag(input.base.Id, input.server.Id, dockerfile);
  try {
    await engine.docker.getImage(tag).inspect();
    logger.info({ tag, baseImage: input.baseImage }, 'dev image cached');
    return { tag, built: false };
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode !== 404) throw errorFromDocker(err, `inspect image ${tag}`, engine.endpoint);
  }
  logger.info({ tag, baseImage: input.baseImage, serverImage: input.serverImage }, 'building the dev image');
  const context = await mkdtemp(join(tmpdir(), 'agentworkspace-dev-'));
  const lines: string[] = [];
  try {
    await writeFile(join(context, 'Dockerfile'), dockerfile);
    const stream = await engine.docker.buildImage({ context, src: ['Dockerfile'] }, {
      t: tag, rm: true, forcerm: true, pull: false,
      labels: { [LABEL_BASE_ID]: input.base.Id, [LABEL_SERVER_ID]: input.server.Id },
      ...(input.platform ? { platform: input.platform } : {}),
    } as Docker.ImageBuildOptions);
    await new Promise<void>((resolve, reject) => {
      engine.docker.modem.followProgress(stream, (err: Error | null, events: BuildEvent[]) => {
        const failed = err ?? events.find((e) => e.error);
        if (failed) reject(failed); else resolve();
      }, (event: BuildEvent) => {
        const text = event.stream ?? event.status ?? event.error ?? '';
        for (const line of text.split('\n')) {
          if (!line.trim()) continue;
          lines.push(line);
          if (lines.length > 30) lines.shift();
          logger.debug({ tag, line }, 'build');
          onProgress({ line });
        }
      });
    });
  } catch (err) {
    if (isNoDaemon(err)) throw errorFromDocker(err, `build ${tag}`, engine.endpoint);
    const said = (err as BuildEvent).error ?? engineMessage(err);
    throw new DockerBuildError(
      `Building the dev image on ${input.baseImage} failed: ${said}. The base must be Linux with glibc and a shell (Debian, Ubuntu, a python or golang image). Last lines:\n${lines.join('\n')}`,
      tag, lines.join('\n'), { cause: err },
    );
  } finally {
    await rm(context, { recursive: true, force: true });
  }
  return { tag, built: true };
}
