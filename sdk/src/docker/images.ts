// Making sure an image is on the engine: inspected, and pulled when the pull policy says so. Every failure to find
// or pull one is a DockerImageNotFoundError that names the image.
import type Docker from 'dockerode';
import type { Logger } from '../logger.js';
import type { Engine } from './engine.js';
import { DockerImageNotFoundError, engineMessage, errorFromDocker, isNoDaemon } from './errors.js';

export type PullPolicy = 'missing' | 'never' | 'always';

/** The image's inspect data, or undefined when the engine does not have it. */
export async function inspectImage(engine: Engine, image: string): Promise<Docker.ImageInspectInfo | undefined> {
  try {
    return await engine.docker.getImage(image).inspect();
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return undefined;
    throw errorFromDocker(err, `inspect image ${image}`, engine.endpoint);
  }
}

async function pull(engine: Engine, image: string, platform: string | undefined, logger: Logger): Promise<void> {
  try {
    const stream = await engine.docker.pull(image, platform ? { platform } : {});
    await new Promise<void>((resolve, reject) => {
      engine.docker.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve()), (event: { status?: string; progress?: string }) => {
        logger.debug({ image, status: event.status, progress: event.progress }, 'pull');
      });
    });
  } catch (err) {
    if (isNoDaemon(err)) throw errorFromDocker(err, `pull ${image}`, engine.endpoint);
    throw new DockerImageNotFoundError(
      `The image ${image} is not on the engine and pulling it failed: ${engineMessage(err)}. Check its name and tag, log in to its registry, or build it (make image).`,
      image, { cause: err },
    );
  }
}

/** The image, present on the engine per `policy`; returns its inspect data. */
export async function ensureImage(engine: Engine, image: string, policy: PullPolicy, platform: string | undefined, logger: Logger): Promise<Docker.ImageInspectInfo> {
  let info = policy === 'always' ? undefined : await inspectImage(engine, image);
  if (!info) {
    if (policy === 'never') throw new DockerImageNotFoundError(`The image ${image} is not on the engine (pull: never). Build or pull it first.`, image);
    logger.info({ image }, 'pulling the image');
    await pull(engine, image, platform, logger);
    info = await inspectImage(engine, image);
    if (!info) throw new DockerImageNotFoundError(`The image ${image} is still not on the engine after pulling it.`, image);
  }
  return info;
}
