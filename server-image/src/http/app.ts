// The HTTP application: request ids and logs, metrics, CORS, the unauthenticated server routes, then
// every /api router behind the session key. Other issues add their routers through `apiRouters`
// (conversations) without touching this file.
import express, { type Express, type RequestHandler, type Router } from 'express';
import type { BashService } from '../bash/service.js';
import type { Config } from '../config.js';
import { PathPolicy, deniedPaths } from '../files/paths.js';
import { type Logger, redactUrl, requestId } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { ServerState } from '../server-state.js';
import { requireSessionKey } from './auth.js';
import { bashRouteDocs, bashRouter } from './bash-router.js';
import { cors } from './cors.js';
import { ApiError, errorHandler, notFound } from './errors.js';
import { fileRouteDocs, filesRouter } from './files-router.js';
import { gitRouteDocs, gitRouter } from './git-router.js';
import { type InitService, dormantGate, initRouteDocs, initRouter } from './init-router.js';
import { type WorkspaceLookup, workspaceRouteDocs, workspaceRouter, workspaceSessionDocs, workspaceSessionRouter } from './workspace-router.js';
import { tooDeep, tooDeepMessage } from './json-depth.js';
import { type MountedRoute, type RouteDocs, apiDocsRouteDocs, apiDocsRouter } from './openapi.js';
import { SERVER_TITLE, serverDetailsDocs, serverDetailsRouter } from './server-details.js';

export interface AppDeps {
  config: Config;
  log: Logger;
  metrics: Metrics;
  state: ServerState;
  bash: BashService;
  /** This package's version, reported in /server_info. */
  serverVersion: string;
  /** Tool names for /server_info's usable_tools. Default: none. */
  usableTools?: () => string[];
  /** Extra routers mounted under /api/<path>, behind the session key. */
  apiRouters?: ApiRouter[];
  /** The deferred-init state of a server started dormant (/api/init reports it); undefined: /api/init is 404. */
  init?: InitService;
  /** A conversation's working directory, for the workspace static routes; without it they are not mounted. */
  workspaceOf?: WorkspaceLookup;
}

/** A router mounted under /api/<path>, with what it documents about its routes for /openapi.json. */
export interface ApiRouter {
  path: string;
  router: Router;
  docs?: RouteDocs;
}

/** The paths a router serves, each with its methods. */
function routesOf(router: Router): Map<string, Set<string>> {
  const methods = new Map<string, Set<string>>();
  for (const layer of router.stack as { route?: { path: string | string[]; methods: Record<string, boolean> } }[]) {
    if (!layer.route) continue;
    for (const path of ([] as string[]).concat(layer.route.path)) {
      const set = methods.get(path) ?? new Set<string>();
      for (const [m, on] of Object.entries(layer.route.methods)) if (on && m !== '_all') set.add(m.toUpperCase());
      methods.set(path, set);
    }
  }
  return methods;
}

/** Every route of `router` mounted at `mount`, with the router's documentation of it. */
function mountedRoutes(router: Router, mount: string, docs: RouteDocs = {}): MountedRoute[] {
  return [...routesOf(router)].flatMap(([path, methods]) => [...methods].map((method) => ({
    method, path: `${mount}${path === '/' && mount ? '' : path}`, doc: docs[`${method} ${path}`],
  })));
}

/** Answers 405 (with Allow) for paths the router serves under other methods. */
function methodNotAllowed(router: Router): Router {
  const methods = routesOf(router);
  for (const [path, set] of methods) {
    if (set.has('GET')) set.add('HEAD');
    const allow = [...set].sort().join(', ');
    router.all(path, () => {
      throw new ApiError('method_not_allowed', 'Method Not Allowed', { Allow: allow });
    });
  }
  return router;
}

/** Remembers the mount path so metrics and logs can name the route template. */
const mountedAt = (path: string): RequestHandler => (_req, res, next) => {
  res.locals.mount = path;
  next();
};

const isJson = (req: { headers: Record<string, unknown> }) => {
  const type = String(req.headers['content-type'] ?? '');
  return /^application\/([\w.+-]*\+)?json\b/i.test(type);
};

/** Request ids, per-request logs and metrics, CORS: what every app of this server starts with. */
function baseApp(config: Config, log: Logger, metrics: Metrics): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  app.use((req, res, next) => {
    const id = requestId(req.headers['x-request-id']);
    const started = process.hrtime.bigint();
    res.locals.reqId = id;
    res.setHeader('X-Request-Id', id);
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const routePath = (req.route as { path?: string } | undefined)?.path;
      const route = routePath !== undefined ? `${res.locals.mount ?? ''}${routePath === '/' && res.locals.mount ? '' : routePath}` : 'unmatched';
      const labels = { method: req.method, route, status: String(res.statusCode) };
      metrics.httpRequests.inc(labels);
      metrics.httpDuration.observe(labels, seconds);
      const line = { reqId: id, method: req.method, url: redactUrl(req.originalUrl), status: res.statusCode, ms: Math.round(seconds * 1000) };
      if (route === '/alive' || route === '/health' || route === '/ready' || route === '/metrics') log.debug(line, 'request');
      else log.info(line, 'request');
    });
    next();
  });
  app.use(cors(config.allowCorsOrigins));
  return app;
}

type InfoDeps = Pick<AppDeps, 'config' | 'state' | 'serverVersion' | 'usableTools'>;

const infoSource = (deps: InfoDeps) => ({
  state: deps.state, serverVersion: deps.serverVersion, buildGitSha: deps.config.buildGitSha, buildGitRef: deps.config.buildGitRef,
  runtimeIdleTimeoutSeconds: deps.config.runtimeIdleTimeoutSeconds, usableTools: deps.usableTools ?? (() => []),
});

/** /metrics on the API port: none when AGENT_SERVER_METRICS_PORT moves it, else behind the session key unless public. */
const metricsAccess = (config: Config) => (config.metricsPort !== undefined ? null : config.metricsPublic ? [] : [requireSessionKey(config.sessionApiKeys)]);

const jsonBody = (config: Config) => express.json({ limit: config.maxJsonBytes, type: isJson, strict: false });

/**
 * The app of a server started dormant (OH_DEFERRED_INIT): the server routes, /api/init, and 503 for the rest of
 * /api until init, when main.ts replaces it with createApp's.
 */
export function createDormantApp(deps: InfoDeps & { log: Logger; metrics: Metrics; init: InitService }): Express {
  const app = baseApp(deps.config, deps.log, deps.metrics);
  app.use(methodNotAllowed(serverDetailsRouter(infoSource(deps), deps.metrics, metricsAccess(deps.config))));
  app.use('/api/init', mountedAt('/api/init'), jsonBody(deps.config), methodNotAllowed(initRouter(deps.init)));
  app.use('/api', dormantGate(deps.init));
  app.use(notFound);
  app.use(errorHandler(deps.log));
  return app;
}

export function createApp(deps: AppDeps): Express {
  const { config, log, metrics, state, bash } = deps;
  const app = baseApp(config, log, metrics);

  const details = serverDetailsRouter(infoSource(deps), metrics, metricsAccess(config));
  const docs = apiDocsRouter(() => documented, { title: SERVER_TITLE, version: deps.serverVersion });
  const documented = [...mountedRoutes(details, '', serverDetailsDocs), ...mountedRoutes(docs, '', apiDocsRouteDocs)];
  app.use(methodNotAllowed(details));
  app.use(methodNotAllowed(docs));

  const paths = new PathPolicy(config.fileRoots, deniedPaths(config));
  // /api/init has its own key (X-Init-API-Key), so it comes before the session key.
  const init = initRouter(deps.init);
  documented.push(...mountedRoutes(init, '/api/init', initRouteDocs));
  app.use('/api/init', mountedAt('/api/init'), jsonBody(config), methodNotAllowed(init));
  if (deps.workspaceOf) {
    // The workspace static routes take the session key from the header or the workspace cookie.
    const workspace = workspaceRouter(config.sessionApiKeys, deps.workspaceOf);
    documented.push(...mountedRoutes(workspace, '/api/conversations', workspaceRouteDocs));
    app.use('/api/conversations', mountedAt('/api/conversations'), workspace);
  }
  app.use('/api', requireSessionKey(config.sessionApiKeys));
  app.use('/api', (_req, _res, next) => {
    state.touch(); // an authenticated request is activity (idle_time)
    next();
  });
  app.use('/api', jsonBody(config));
  app.use('/api', (req, _res, next) => {
    const at = tooDeep(req.body);
    if (at) throw new ApiError('validation', [{ loc: ['body', ...at], msg: tooDeepMessage, type: 'value_error' }]);
    next();
  });
  const routers: ApiRouter[] = [
    { path: 'bash', router: bashRouter(bash, state), docs: bashRouteDocs },
    { path: 'file', router: filesRouter(paths, state, metrics, config.maxUploadBytes), docs: fileRouteDocs },
    { path: 'git', router: gitRouter(paths, state), docs: gitRouteDocs },
    { path: 'auth', router: workspaceSessionRouter(), docs: workspaceSessionDocs },
    ...(deps.apiRouters ?? []),
  ];
  for (const { path, router, docs } of routers) {
    const mount = `/api/${path.replace(/^\/+/, '')}`;
    documented.push(...mountedRoutes(router, mount, docs));
    app.use(mount, mountedAt(mount), methodNotAllowed(router));
  }

  app.use(notFound);
  app.use(errorHandler(log));
  return app;
}
