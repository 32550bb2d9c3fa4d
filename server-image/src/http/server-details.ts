// Unauthenticated server routes: /alive, /health, /ready, /server_info (and `/`); /metrics, behind the session key
// unless AGENT_SERVER_METRICS_PUBLIC, and absent when AGENT_SERVER_METRICS_PORT serves it on its own port.
import { Router, type RequestHandler } from 'express';
import type { Metrics } from '../metrics.js';
import type { ServerState } from '../server-state.js';
import type { RouteDocs } from './openapi.js';

/** The OpenHands agent-server release whose API this server implements (checklist: server-image/README.md). */
export const OPENHANDS_API_VERSION = '1.58.2';

/**
 * The capabilities OpenHands 1.58.2 advertises (server_details_router.py), each with whether this server implements
 * what it promises. Clients pick code paths by them, so only the implemented ones are listed in /server_info.
 */
export const OPENHANDS_CAPABILITIES: Readonly<Record<string, boolean>> = {
  conversation_runtime_routes_v1: true, // /api/conversations/{id}/{bash,file,git}/…, confined to its workspace (no vscode)
  profile_secret_scope_v1: false, // LLM/agent profiles (/api/profiles): not implemented
  profile_persona_v1: false,
  credential_binding_v1: false, // credential bindings and their readiness/activation: not implemented
  credential_binding_readiness_probe_v1: false,
  credential_binding_activation_guard_v1: false,
  idempotent_conversation_create_v1: true, // concurrent creates of one id: one 201, the others 200 with the same info
  tool_catalog_v1: false, // /api/tools catalog: not implemented
  agent_profile_draft_materialize_v1: false,
  agent_launch_pipeline_v1: false,
  profile_public_skills_v1: false,
  skill_catalog_v1: false, // /api/skills: not implemented
};

const CAPABILITIES = Object.entries(OPENHANDS_CAPABILITIES).filter(([, implemented]) => implemented).map(([name]) => name);

export const SERVER_TITLE = 'AgentWorkspace Agent Server';

export const serverDetailsDocs: RouteDocs = {
  'GET /alive': { summary: 'Liveness: {"status":"ok"}' },
  'GET /health': { summary: 'Liveness: {"status":"ok"}' },
  'GET /ready': { summary: 'Readiness: 200 once started, 503 while starting or shutting down' },
  'GET /': { summary: 'ServerInfo' },
  'GET /server_info': { summary: 'ServerInfo: uptime, versions, build, capabilities' },
  'GET /metrics': { summary: 'Prometheus metrics (X-Session-API-Key unless AGENT_SERVER_METRICS_PUBLIC; on its own port with AGENT_SERVER_METRICS_PORT)' },
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
    conversation_runtime: 'local',
    available_conversation_runtimes: [],
    capabilities: CAPABILITIES,
    app_backend_ingress_url: null,
    max_foreground_terminal_timeout_seconds: idle === null ? null : idle * 0.9,
    docs: '/docs',
    redoc: '/redoc',
  };
}

/** `metricsAccess`: the handlers in front of GET /metrics (none: public), or null to serve no /metrics here. */
export function serverDetailsRouter(src: ServerInfoSource, metrics: Metrics, metricsAccess: RequestHandler[] | null = []): Router {
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
  if (metricsAccess) {
    router.get('/metrics', ...metricsAccess, async (_req, res) => {
      res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
    });
  }
  return router;
}
