// The options of DockerWorkspace.create and DockerDevWorkspace.create, as zod schemas: each field documents its
// default. The container they describe is built by container-spec.ts.
import { z } from 'zod';
import type { Logger } from '../logger.js';
import type { BuildProgress } from './dev-image.js';

/** The agent-server image `make image` (test/cluster/image.sh server) builds; no registry publishes one yet. */
export const DEFAULT_SERVER_IMAGE = 'localhost/agentworkspace/agent-server:dev';

export const MountSchema = z.object({
  source: z.string().min(1).describe('A host directory or file (a relative path is taken from the current directory).'),
  target: z.string().regex(/^\//, 'an absolute path in the container').describe('Where the container sees it, e.g. /workspace.'),
  readOnly: z.boolean().default(false).describe('Default: false.'),
});
export type Mount = z.input<typeof MountSchema>;

export const NetworkSchema = z.union([z.literal('bridge'), z.literal('host'), z.string().min(1)]).describe(
  'bridge: the engine\'s default network, the server port published on 127.0.0.1; host: the host\'s network ' +
    '(Docker Engine and podman on Linux: the container reaches the host\'s 127.0.0.1 directly, the server listens ' +
    'on 127.0.0.1:<hostPort>); any other name: that engine network. Default: bridge.',
);

export const DockerWorkspaceOptionsSchema = z.object({
  image: z.string().min(1).default(DEFAULT_SERVER_IMAGE).describe(`The agent-server image. Default: ${DEFAULT_SERVER_IMAGE}.`),
  pull: z.enum(['missing', 'never', 'always']).default('missing')
    .describe('When to pull the image: missing (only when not local), never, always. Default: missing.'),
  hostPort: z.number().int().min(1).max(65_535).optional()
    .describe('The host port (on 127.0.0.1) of the server. Default: a free one the engine picks.'),
  mounts: z.array(MountSchema).default([]).describe('Bind mounts of host paths. Default: none.'),
  env: z.record(z.string(), z.string()).default({}).describe('Extra environment variables of the server. Default: none.'),
  forwardEnv: z.array(z.string().min(1)).default([])
    .describe('Names of this process\'s environment variables to pass on (those set). Default: none.'),
  user: z.string().regex(/^\d+(:\d+)?$/, 'uid or uid:gid').optional().describe(
    'The container\'s uid:gid. Default: the owner of the host folder mounted at workingDir when that owner is not ' +
      'root (so the agent\'s files on the host are the folder owner\'s), else the image\'s user (10001:10001).',
  ),
  keepAlive: z.boolean().default(false).describe('true: close() leaves the container running (and the reaper spares it). Default: false (removed).'),
  platform: z.string().min(1).optional().describe('The image platform, e.g. linux/amd64. Default: the engine\'s.'),
  network: NetworkSchema.default('bridge'),
  hostLoopback: z.boolean().default(true).describe(
    'Make host.docker.internal reach the host (see the README: which address each engine reaches). Default: true.',
  ),
  name: z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/).optional().describe('The container\'s name. Default: agentworkspace-<random>.'),
  labels: z.record(z.string(), z.string()).default({}).describe('Extra container labels. Default: none.'),
  readyTimeoutMs: z.number().int().positive().default(120_000).describe('How long to wait for /ready. @unit milliseconds. Default: 120 000.'),
  workingDir: z.string().regex(/^\//).default('/workspace').describe('The agent\'s directory in the container. Default: /workspace.'),
  logger: z.custom<Logger>((v) => typeof v === 'object' && v !== null).optional().describe('Default: silent. The session key is never logged.'),
});
export type DockerWorkspaceOptions = z.input<typeof DockerWorkspaceOptionsSchema>;
export type ParsedDockerWorkspaceOptions = z.output<typeof DockerWorkspaceOptionsSchema>;

export const DockerDevWorkspaceOptionsSchema = DockerWorkspaceOptionsSchema.omit({ image: true }).extend({
  baseImage: z.string().min(1).describe('The image to build on: the project\'s toolchain (a Debian/Ubuntu-based one: glibc, bash).'),
  serverImage: z.string().min(1).default(DEFAULT_SERVER_IMAGE).describe(`Where the server comes from (its /app and node). Default: ${DEFAULT_SERVER_IMAGE}.`),
  onBuildProgress: z.custom<(progress: BuildProgress) => void>((v) => typeof v === 'function').optional()
    .describe('Called with each line of the build\'s output. Default: none (the logger gets them at debug).'),
});
export type DockerDevWorkspaceOptions = z.input<typeof DockerDevWorkspaceOptionsSchema>;
export type ParsedDockerDevWorkspaceOptions = z.output<typeof DockerDevWorkspaceOptionsSchema>;
