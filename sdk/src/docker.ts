/**
 * @agentworkspace/sdk/docker — workspaces in local containers through the Docker Engine API (Docker Engine, Docker
 * Desktop, podman's compatible service; DOCKER_HOST): `DockerWorkspace.create(options)` runs the agent-server image,
 * `DockerDevWorkspace.create({ baseImage })` first builds one on a base image of your own. A separate entry so that
 * the root one never loads dockerode.
 */
export { DockerWorkspace } from './docker/docker-workspace.js';
export type { DockerWorkspaceSeams } from './docker/docker-workspace.js';
export { DockerDevWorkspace } from './docker/docker-dev-workspace.js';
export { buildDevImage, devImageDockerfile, devImageTag } from './docker/dev-image.js';
export type { BuildProgress, DevImage } from './docker/dev-image.js';
export {
  DockerWorkspaceOptionsSchema, DockerDevWorkspaceOptionsSchema, MountSchema, NetworkSchema, DEFAULT_SERVER_IMAGE,
} from './docker/options.js';
export type { DockerWorkspaceOptions, DockerDevWorkspaceOptions, Mount } from './docker/options.js';
export {
  DockerDaemonError, DockerAPIError, DockerImageNotFoundError, PortInUseError, ContainerExitedError, ContainerReadyTimeoutError,
  DockerBuildError,
} from './docker/errors.js';
export { connectEngine } from './docker/engine.js';
export type { Engine, EngineKind } from './docker/engine.js';
export { networkPlan, HOST_NAME } from './docker/network.js';
export type { NetworkPlan } from './docker/network.js';
export { reapStaleContainers, LABEL_MANAGED, LABEL_OWNER_HOST, LABEL_OWNER_PID, LABEL_KEEP_ALIVE } from './docker/labels.js';
