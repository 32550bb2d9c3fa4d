// Conversations as a server extension: builds the service from the configuration, reads the catalog, and
// hands main.ts the router, the events socket and the shutdown step.
import { KNOWN_TOOL_NAMES } from '@agentworkspace/sdk';
import type { Config } from '../config.js';
import { PathPolicy } from '../files/paths.js';
import type { Logger } from '../log.js';
import type { ServerExtensions } from '../main.js';
import { eventsSocket } from '../ws/events-socket.js';
import { conversationRouteDocs, conversationsRouter } from './router.js';
import { ConversationService } from './service.js';

/** `toolEnvironment`: the agent's shell environment, without the server's secrets (main's commandEnvironment). */
export async function conversationsExtension(config: Config, log: Logger, toolEnvironment: Record<string, string | undefined>): Promise<ServerExtensions & { service: ConversationService }> {
  const service = new ConversationService({
    conversationsPath: config.conversationsPath,
    credentials: { model: config.llmModel, apiKey: config.llmApiKey, baseUrl: config.llmBaseUrl },
    maxConcurrentRuns: config.maxConcurrentRuns,
    idleTtlSeconds: config.conversationIdleTtlSeconds,
    maxMessageBytes: config.maxMessageBytes,
    paths: new PathPolicy(config.fileRoots),
    toolEnvironment,
    secretKey: config.secretKey ?? config.sessionApiKeys[0],
    log: log.child({ component: 'conversations' }),
  });
  await service.start();
  return {
    service,
    apiRouters: [{ path: 'conversations', router: conversationsRouter(service), docs: conversationRouteDocs }],
    registerSockets: (sockets) => sockets.registerSocket(/^\/sockets\/events\/([^/]+)\/?$/, eventsSocket(service, {
      maxSubscribers: config.wsMaxSubscribers,
      maxLagEvents: config.wsMaxLagEvents,
      highWaterBytes: config.wsHighWaterBytes,
      pingIntervalMs: config.wsPingMs,
    }), 'events'),
    usableTools: () => [...KNOWN_TOOL_NAMES],
    placesOf: (id) => {
      const hosted = service.lookup(id);
      const workspace = hosted?.dump().workspace as { working_dir?: unknown } | undefined;
      return hosted && typeof workspace?.working_dir === 'string' ? { dir: hosted.dir, workingDir: workspace.working_dir } : undefined;
    },
    shutdown: () => service.shutdown(),
  };
}
