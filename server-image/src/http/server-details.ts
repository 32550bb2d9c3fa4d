// Unauthenticated server routes: /alive, /health, /ready, /server_info (and `/`), /metrics.
import { Router } from 'express';
import type { Metrics } from '../metrics.js';
import type { ServerState } from '../server-state.js';
import type { RouteDocs } from './openapi.js';

/** The OpenHands agent-server API version this server implements (openhands-protocol.md §0). */
const OPENHANDS_API_VERSION = '1.43.1';

export const SERVER_TITLE = 'AgentWorkspace Agent Server';

export const serverDetailsDocs: RouteDocs = {
  'GET /alive': { summary: 'Liveness: {"status":"ok"}' },
  'GET /health': { summary: 'Liveness: {"status":"ok"}' },
  'GET /ready': { summary: 'Readiness: 200 once started, 503 while starting or shutting down' },
  'GET /': { summary: 'ServerInfo' },
  'GET /server_info': { summary: 'ServerInfo: uptime, versions, build, capabilities' },
  'GET /metrics': { summary: 'Prometheus metrics' },
};

export interface ServerInfoSource {
  state: ServerState;
  /** This package's version. */
  serverVersion: string;
  buildGitSha: string;
  buildGitRef: string;
  runtimeIdleTimeoutSeconds: number | null;
  /** Tool names conversations can use; the conversation service supplies them. */
  usableTools: () => string[];
}

/** The OpenHands `ServerInfo` payload, every field present. */
export function serverInfo(src: ServerInfoSource): Record<string, unknown> {
  const idle = src.runtimeIdleTimeoutSeconds;
  return {
    uptime: src.state.uptimeSeconds(),
    idle_time: src.state.idleSeconds(),
    title: SERVER_TITLE,
    version: OPENHANDS_API_VERSION,
    sdk_version: src.serverVersion,
    tools_version: src.serverVersion,
    workspace_version: src.serverVersion,
    build_git_sha: src.buildGitSha,
    build_git_ref: src.buildGitRef,
    // The field name is OpenHands'; this server runs on Node, and says so.
    python_version: `node ${process.version}`,
    usable_tools: src.usableTools(),
    runtime_idle_timeout_seconds: idle,
    capabilities: [],
    max_foreground_terminal_timeout_seconds: idle === null ? null : idle * 0.9,
    docs: '/docs',
    redoc: '/redoc',
  };
}

export function serverDetailsRouter(src: ServerInfoSource, metrics: Metrics): Router {
  const router = Router();
  const ok = { status: 'ok' };
  router.get('/alive', (_req, res) => void res.json(ok));
  router.get('/health', (_req, res) => void res.json(ok));
  router.get('/ready', (_req, res) => {
    const phase = src.state.phase;
    if (phase === 'ready') return void res.json({ status: 'ready' });
    res.status(503).json(phase === 'starting'
      ? { status: 'initializing', message: 'Server is still initializing' }
      : { status: 'shutting_down', message: 'Server is shutting down' });
  });
  router.get(['/', '/server_info'], (_req, res) => void res.json(serverInfo(src)));
  router.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  return router;
}
