// A DockerWorkspace on an image built from the user's own base image (their toolchain: a Python, Go, Node image):
// the server image's /app and node copied on top (dev-image.ts), cached by the base's digest and the server image,
// then started exactly as DockerWorkspace starts its image.
import { silentLogger, type Logger } from '../logger.js';
import { buildDevImage, type DevImage } from './dev-image.js';
import { DockerWorkspace, startServer, type DockerWorkspaceSeams, type StartedServer } from './docker-workspace.js';
import { connectEngine } from './engine.js';
import { ensureImage } from './images.js';
import { DockerDevWorkspaceOptionsSchema, type DockerDevWorkspaceOptions, type ParsedDockerDevWorkspaceOptions } from './options.js';

export class DockerDevWorkspace extends DockerWorkspace {
  /** The image it runs (the dev image's tag) and whether this create built it. */
  readonly image: DevImage;

  private constructor(started: StartedServer, options: ParsedDockerDevWorkspaceOptions, logger: Logger, image: DevImage) {
    super(started, options, logger);
    this.image = image;
  }

  /**
   * Builds (or finds) the dev image for `baseImage`, then starts it as DockerWorkspace.create does. Throws
   * DockerImageNotFoundError for a missing base or server image, DockerBuildError, and DockerWorkspace's errors.
   */
  static override async create(options: DockerDevWorkspaceOptions, seams: DockerWorkspaceSeams = {}): Promise<DockerDevWorkspace> {
    const o = DockerDevWorkspaceOptionsSchema.parse(options);
    const logger = o.logger ?? silentLogger;
    const engine = await connectEngine(seams.docker);
    const base = await ensureImage(engine, o.baseImage, o.pull, o.platform, logger);
    const server = await ensureImage(engine, o.serverImage, o.pull, o.platform, logger);
    const image = await buildDevImage(engine, { baseImage: o.baseImage, serverImage: o.serverImage, base, server, platform: o.platform }, o.onBuildProgress ?? (() => {}), logger);
    const started = await startServer(engine, { ...o, image: image.tag, pull: 'never' }, logger);
    return new DockerDevWorkspace(started, o, logger, image);
  }
}
