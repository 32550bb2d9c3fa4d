// Composition root of the agent server: parses the configuration once, builds the services, serves
// HTTP and WebSockets, and shuts down gracefully on SIGTERM/SIGINT (readiness 503, stop accepting,
// let running commands finish within the grace period then kill them, close sockets, exit 0).
// As PID 1 in a container the process handles SIGTERM itself, so no init is needed.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { KNOWN_TOOL_NAMES } from '@agentworkspace/sdk';
import { BashService } from './bash/service.js';
import { BashEventStore } from './bash/store.js';
import { ConfigError, type Config, loadConfig } from './config.js';
import { instrumentConversations } from './conversations/metrics.js';
import { LLMProfileStore } from './conversations/llm-profiles.js';
import { ConversationService } from './conversations/service.js';
import { PathPolicy, deniedPaths } from './files/paths.js';
import { conversationRouteDocs, conversationsRouter } from './http/conversations-router.js';
import { type ApiRouter, createApp, createDormantApp } from './http/app.js';
import { endWithError } from './http/errors.js';
import { IGNORED_INIT_FIELDS, InitService, initializedConfig } from './http/init-router.js';
import { type ConversationLookup, runtimeRoutes } from './http/runtime-router.js';
import { type Logger, createLogger } from './log.js';
import { type Metrics, createMetrics } from './metrics.js';
import { RunnerLauncher, waitForRunner } from './sandbox/runner-launcher.js';
import { closeMetrics, listenForMetrics } from './http/metrics-listener.js';
import { ServerState } from './server-state.js';
import { bashEventsSocket } from './ws/bash-events.js';
import { SocketDispatcher } from './ws/dispatcher.js';
import { eventsSocket } from './ws/events-socket.js';
import { sessionSocket, sessionSocketCheck } from './ws/session-socket.js';
import { isEntryModule } from './entry-module.js';

const SERVER_VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** Environment variables that carry secrets of the server and must not reach commands it runs. */
const SECRET_ENV = /^(OH_SESSION_API_KEYS(_\d+)?|SESSION_API_KEY|OH_SECRET_KEY|LLM_API_KEY)$/;

export function commandEnvironment(env: NodeJS.ProcessEnv): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !SECRET_ENV.test(name)));
}

/** With OH_SANDBOX_SOCKET, the agent's processes start in the sandbox container; else they are local children. */
function launcherOf(config: Config): RunnerLauncher | undefined {
  return config.sandboxSocket ? new RunnerLauncher(config.sandboxSocket) : undefined;
}

function inContainer(env: NodeJS.ProcessEnv): boolean {
  return existsSync('/.dockerenv') || existsSync('/run/.containerenv') || env.container !== undefined;
}

/** What other parts of the product (conversations) add to the server: `startServer` runs without any. */
export interface ServerExtensions {
  apiRouters?: ApiRouter[];
  registerSockets?: (sockets: SocketDispatcher) => void;
  usableTools?: () => string[];
  /** A conversation's directory and workspace: the workspace static routes and the conversation-scoped bash, file and git routes. */
  placesOf?: ConversationLookup;
  /** Runs during graceful shutdown, before commands are stopped and sockets closed. */
  shutdown?: () => Promise<void>;
}

/**
 * Conversations as an extension: the service built from the configuration (its catalog read), its router, events
 * socket and shutdown step. `toolEnvironment`: the agent's shell environment, without the server's secrets.
 */
async function conversationsExtension(config: Config, log: Logger, toolEnvironment: Record<string, string | undefined>): Promise<ServerExtensions & { service: ConversationService }> {
  const paths = new PathPolicy(config.fileRoots, deniedPaths(config));
  const launcher = launcherOf(config);
  const service = new ConversationService({
    conversationsPath: config.conversationsPath,
    credentials: { model: config.llmModel, apiKey: config.llmApiKey, baseUrl: config.llmBaseUrl },
    maxConcurrentRuns: config.maxConcurrentRuns,
    idleTtlSeconds: config.conversationIdleTtlSeconds,
    maxMessageBytes: config.maxMessageBytes,
    paths,
    toolEnvironment,
    // In the sandbox the file editor, which runs in this process, must not reach what the agent's processes cannot.
    toolHost: launcher ? { launcher, checkPath: async (path) => void await paths.check(path) } : {},
    secretKey: config.secretKey ?? config.sessionApiKeys[0],
    profiles: new LLMProfileStore(join(config.persistenceDir ?? join(homedir(), '.openhands'), 'profiles')),
    log: log.child({ component: 'conversations' }),
  });
  await service.start();
  return {
    service,
    apiRouters: [{ path: 'conversations', router: conversationsRouter(service), docs: conversationRouteDocs }],
    registerSockets: (sockets) => {
      sockets.registerSocket(/^\/sockets\/events\/([^/]+)\/?$/, eventsSocket(service, {
        maxSubscribers: config.wsMaxSubscribers,
        maxLagEvents: config.wsMaxLagEvents,
        highWaterBytes: config.wsHighWaterBytes,
        pingIntervalMs: config.wsPingMs,
      }), 'events');
      sockets.registerSocket(/^\/sockets\/session\/(.*)$/, sessionSocket(service, {
        maxSubscribers: config.wsMaxSubscribers, pingIntervalMs: config.wsPingMs,
      }), 'session', sessionSocketCheck);
    },
    usableTools: () => [...KNOWN_TOOL_NAMES],
    placesOf: (id) => {
      const hosted = service.lookup(id);
      const workspace = hosted?.dump().workspace as { working_dir?: unknown } | undefined;
      return hosted && typeof workspace?.working_dir === 'string' ? { dir: hosted.dir, workingDir: workspace.working_dir } : undefined;
    },
    shutdown: () => service.shutdown(),
  };
}

export interface RunningServer {
  url: string;
  server: Server;
  state: ServerState;
  bash: BashService;
  sockets: SocketDispatcher;
  metrics: Metrics;
  /** Graceful shutdown; resolves when everything is closed. */
  shutdown(): Promise<void>;
}

function onClientError(server: Server): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (!socket.writable) return socket.destroy();
    const [status, detail] = err.code === 'HPE_HEADER_OVERFLOW' ? [431, 'Request header fields too large']
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? [408, 'Request timeout'] : [400, 'Bad Request'];
    endWithError(socket, status, detail);
  });
}

/** What a server started dormant hands on to the server /api/init builds. */
export interface TakeOver {
  /** The listening server: it gets the new app and socket routes instead of the dormant ones. */
  server: Server;
  state: ServerState;
  metrics: Metrics;
  init: InitService;
}

/** Builds and starts the server from a parsed configuration (or takes over a dormant one's listener). */
export async function startServer(config: Config, log: Logger, env: NodeJS.ProcessEnv, extensions: ServerExtensions = {}, takeOver?: TakeOver): Promise<RunningServer> {
  if (config.sessionApiKeys.length === 0) {
    log.warn('no session API keys configured (OH_SESSION_API_KEYS / SESSION_API_KEY): the API is open to anyone who can reach it');
  }
  const metrics = takeOver?.metrics ?? createMetrics();
  const state = takeOver?.state ?? new ServerState();
  const bashOptions = {
    log: log.child({ component: 'bash' }), metrics, chunkBytes: config.bashChunkBytes, maxOutputBytes: config.bashMaxOutputBytes,
    flushMs: config.bashFlushMs, killGraceMs: config.bashKillGraceMs, env: commandEnvironment(env),
    ...(config.sandboxSocket ? { launcher: launcherOf(config) } : {}),
  };
  const bash = new BashService({
    ...bashOptions, store: new BashEventStore(config.bashEventsDir), defaultCwd: process.cwd(), retentionSeconds: config.bashEventsRetentionSeconds,
  });
  const { placesOf } = extensions;
  const runtime = placesOf && runtimeRoutes(placesOf, { state, metrics, maxUploadBytes: config.maxUploadBytes, bashOptions });
  const app = createApp({
    config, log, metrics, state, bash, serverVersion: SERVER_VERSION,
    usableTools: extensions.usableTools, init: takeOver?.init, workspaceOf: placesOf && ((id) => placesOf(id)?.workingDir),
    apiRouters: [...(runtime ? [{ path: 'conversations', router: runtime.router }] : []), ...(extensions.apiRouters ?? [])],
  });
  const server = takeOver?.server ?? createServer({ maxHeaderSize: config.maxHeaderBytes });
  if (!takeOver) onClientError(server);
  server.removeAllListeners('request').removeAllListeners('upgrade').on('request', app);
  const sockets = new SocketDispatcher({
    keys: config.sessionApiKeys, log, metrics, maxPayload: config.maxJsonBytes, accepting: () => state.phase !== 'stopping', activity: state,
  });
  state.addBusyProbe(() => bash.runningCount > 0);
  sockets.registerSocket(/^\/sockets\/bash-events\/?$/, bashEventsSocket(bash, { highWaterBytes: config.wsHighWaterBytes }), 'bash-events');
  extensions.registerSockets?.(sockets);
  sockets.attach(server);

  if (!takeOver) await listen(server, config);
  // A dormant server's metrics listener stays with the dormant server, which closes it.
  const metricsServer = takeOver ? undefined : await listenForMetrics(config, metrics, log);
  const url = serverUrl(server);
  if (config.sandboxSocket && !takeOver) await waitForRunner(config.sandboxSocket, log);
  state.markReady();
  if (takeOver) log.info({ url }, 'agent server initialized');
  else log.info({ url, host: config.host, port: (server.address() as AddressInfo).port, version: SERVER_VERSION }, 'agent server listening');

  let stopping: Promise<void> | undefined;
  const shutdown = () => {
    stopping ??= (async () => {
      state.beginShutdown();
      log.info({ running: bash.runningCount }, 'shutting down');
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await extensions.shutdown?.();
      await Promise.all([bash.shutdown(config.shutdownGraceMs), runtime?.shutdown(config.shutdownGraceMs)]);
      await sockets.closeAll();
      const force = setTimeout(() => server.closeAllConnections(), 2000);
      await closed;
      clearTimeout(force);
      await closeMetrics(metricsServer);
      log.info('agent server stopped');
    })();
    return stopping;
  };
  return { url, server, state, bash, sockets, metrics, shutdown };
}

function listen(server: Server, config: Config): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function serverUrl(server: Server): string {
  const address = server.address() as AddressInfo;
  return `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
}

/** The server with conversations, its activity clock and metrics fed by them. */
async function startWithConversations(config: Config, log: Logger, env: NodeJS.ProcessEnv, takeOver?: TakeOver): Promise<RunningServer> {
  const conversations = await conversationsExtension(config, log, commandEnvironment(env));
  const running = await startServer(config, log, env, conversations, takeOver);
  conversations.service.onActivity(() => running.state.touch());
  running.state.addBusyProbe(() => conversations.service.runningCount > 0);
  instrumentConversations(conversations.service, running.metrics.registry);
  return running;
}

/**
 * Builds the server `POST /api/init` builds once, ahead, as a throwaway (its own temporary directories, a loopback
 * port, a random key, no log, its own metrics), and sends it one authenticated JSON request, then shuts it down. A
 * warm pod waits dormant anyway; what this costs it once (the code's first, unoptimized run: routers compiled,
 * the body decoder's encoding tables loaded, the conversation service started) is then off the claim's path.
 */
async function rehearseInit(config: Config): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'agent-server-rehearsal-'));
  try {
    const key = randomBytes(16).toString('hex');
    const throwaway = await startWithConversations(Object.freeze({
      ...config, deferredInit: false, host: '127.0.0.1', port: 0, metricsPort: undefined, sandboxSocket: undefined, sessionApiKeys: [key],
      conversationsPath: join(dir, 'conversations'), bashEventsDir: join(dir, 'bash'), persistenceDir: dir, bashEventsRetentionSeconds: null,
    }), createLogger('silent'), {});
    try {
      await new Promise<void>((resolve, reject) => {
        // An empty conversation request: authenticated, decoded and refused (422) by the conversation schema.
        const req = request(`${throwaway.url}/api/conversations`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-session-api-key': key } }, (res) => {
          res.on('error', reject).resume().on('end', resolve);
        });
        req.on('error', reject).end('{}');
      });
    } finally {
      await throwaway.shutdown();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * A dormant server (OH_DEFERRED_INIT): listens at once with the server routes and /api/init; /api/* is 503 and
 * sockets are refused (HTTP 403, as OpenHands' 1013 before accept) until `POST /api/init`, which builds the real
 * server from the configuration it delivers on the same listener. Resolves with the shutdown of whichever runs.
 */
export async function startDormant(config: Config, log: Logger, env: NodeJS.ProcessEnv): Promise<{ url: string; shutdown: () => Promise<void> }> {
  const metrics = createMetrics();
  const state = new ServerState();
  const server = createServer({ maxHeaderSize: config.maxHeaderBytes });
  let live: RunningServer | undefined;
  const init = new InitService(config.secretKey, async (req) => {
    const ignored = IGNORED_INIT_FIELDS.filter((field) => req[field] !== undefined && req[field] !== null);
    if (ignored.length > 0) log.warn({ fields: ignored }, '/api/init: fields this server does not use were ignored');
    for (const [name, value] of Object.entries(req.env ?? {})) if (!SECRET_ENV.test(name)) process.env[name] = value;
    live = await startWithConversations(initializedConfig(config, req, process.cwd()), log, { ...env, ...req.env }, { server, state, metrics, init });
  });
  server.on('request', createDormantApp({ config, state, serverVersion: SERVER_VERSION, log, metrics, init }));
  server.on('upgrade', (_req, socket: Duplex) => {
    socket.on('error', () => socket.destroy());
    endWithError(socket, 403, `server is in deferred-init state '${init.state}'; call POST /api/init first`);
  });
  onClientError(server);
  await listen(server, config);
  const metricsServer = await listenForMetrics(config, metrics, log);
  if (config.sandboxSocket) await waitForRunner(config.sandboxSocket, log);
  state.markReady(); // as OpenHands: a dormant server is ready, for /api/init
  const url = serverUrl(server);
  log.info({ url, host: config.host, port: (server.address() as AddressInfo).port, version: SERVER_VERSION, deferredInit: true }, 'agent server listening');
  log.info('dormant: waiting for POST /api/init');
  const rehearsed = Date.now();
  rehearseInit(config).then(
    () => log.debug({ ms: Date.now() - rehearsed }, 'dormant: the init path rehearsed'),
    (err: unknown) => log.warn({ err }, 'dormant: rehearsing the init path failed (init will run cold)'),
  );
  return {
    url,
    shutdown: async () => {
      if (live) await live.shutdown();
      else await new Promise<void>((resolve) => server.close(() => resolve()));
      await closeMetrics(metricsServer);
    },
  };
}

/** The process entry point (bin/agent-server.js): exits 2 on invalid configuration, 0 after a clean shutdown. */
export async function main(argv: readonly string[] = process.argv.slice(2), env: NodeJS.ProcessEnv = process.env): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write('usage: agent-server [--host <address>] [--port <port>]\nConfiguration by environment: see server-image/README.md\n');
    return;
  }
  let config: Config;
  try {
    config = loadConfig({ argv, env, inContainer: inContainer(env) });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`agent-server: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger(config.logLevel);
  // The sandbox user shares the workspace through the group: what this process creates there is group-writable.
  if (config.sandboxSocket) process.umask(0o002);
  // Commands and the agent's shell get commandEnvironment(env) explicitly; children that inherit this process's
  // environment instead (git for the git and archive routes) must not see the server's secrets either.
  for (const name of Object.keys(process.env)) if (SECRET_ENV.test(name)) delete process.env[name];
  let running: { shutdown: () => Promise<void> };
  try {
    running = config.deferredInit ? await startDormant(config, log, env) : await startWithConversations(config, log, env);
  } catch (err) {
    log.fatal({ err }, 'agent server failed to start');
    process.exit(1);
  }
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    if (++signals > 1) {
      log.warn({ signal }, 'second signal: exiting at once');
      process.exit(1);
    }
    log.info({ signal }, 'signal received');
    running.shutdown().then(() => process.exit(0), (err: unknown) => {
      log.error({ err }, 'shutdown failed');
      process.exit(1);
    });
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

// Run directly (`node dist/main.js`, as the Containerfile does) as well as through bin/agent-server.js.
if (isEntryModule(import.meta.url)) void main();
