// Deferred init (OpenHands 1.58 `init_router.py`, the warm-pool hook): a server started with OH_DEFERRED_INIT
// is dormant — /api/* answers 503 and sockets are refused — until `POST /api/init` delivers the per-user
// configuration (session keys, secret key, paths, CORS origins, run limit, environment). `GET /api/init`
// reports the state without authentication; POST needs `X-Init-API-Key` equal to the dormant server's
// OH_SECRET_KEY (open when none is set). A failed init rolls back to dormant so it can be retried (a bare 500, its
// cause only in the log); a second init is a 400. Without deferred init both routes answer 404, as OpenHands does.
import { resolve } from 'node:path';
import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import type { Config } from '../config.js';
import { OperationFailedError } from '../errors.js';
import { keyMatches } from './auth.js';
import { parseOrThrow } from '../validation.js';
import { ApiError } from './errors.js';
import type { RouteDocs } from './openapi.js';

export type InitState = 'dormant' | 'initializing' | 'ready';

/** OpenHands `InitRequest` (extra fields forbidden). Fields this server has no use for are accepted and logged. */
export const InitRequestSchema = z.object({
  session_api_keys: z.array(z.string()).nullable().optional(),
  secret_key: z.string().nullable().optional(),
  previous_secret_keys: z.array(z.string()).nullable().optional(),
  conversations_path: z.string().min(1).nullable().optional(),
  bash_events_dir: z.string().min(1).nullable().optional(),
  conversation_worktree_root: z.string().nullable().optional(),
  webhooks: z.array(z.unknown()).nullable().optional(),
  web_url: z.string().nullable().optional(),
  allow_cors_origins: z.array(z.string()).nullable().optional(),
  max_concurrent_runs: z.number().int().gte(1).nullable().optional(),
  env: z.record(z.string(), z.string()).nullable().optional(),
  telemetry: z.unknown().optional(),
}).strict();
export type InitRequest = z.output<typeof InitRequestSchema>;

/** Fields of InitRequest that this server accepts but does not act on. */
export const IGNORED_INIT_FIELDS = ['previous_secret_keys', 'conversation_worktree_root', 'webhooks', 'web_url', 'telemetry'] as const;

export const initRouteDocs: RouteDocs = {
  'GET /': { summary: 'The deferred-init state: {state: dormant|initializing|ready, error}' },
  'POST /': { summary: 'Initializes a dormant server (X-Init-API-Key); 400 once initialized', body: InitRequestSchema },
};

const NOT_DEFERRED = 'server is not running with deferred_init=True; the /api/init endpoint is not available';

/** Tracks dormant → initializing → ready; one initialization at a time. */
export class InitService {
  private stateValue: InitState = 'dormant';
  private error: string | null = null;

  /**
   * `initKey`: what X-Init-API-Key must be (the dormant server's secret key), undefined for an open endpoint.
   * `apply` builds the real server from the request; when it throws, the state goes back to dormant.
   */
  constructor(private readonly initKey: string | undefined, private readonly apply: (req: InitRequest) => Promise<void>) {}

  get state(): InitState {
    return this.stateValue;
  }

  snapshot(): { state: InitState; error: string | null } {
    return { state: this.stateValue, error: this.error };
  }

  checkKey(given: string | undefined): void {
    if (this.initKey !== undefined && !keyMatches([this.initKey], given)) throw new ApiError('unauthorized', 'Unauthorized');
  }

  async initialize(req: InitRequest): Promise<{ state: InitState; error: string | null }> {
    if (this.stateValue !== 'dormant') throw new ApiError('bad_request', `server already in state: ${this.stateValue}`);
    if (req.session_api_keys?.some((key) => !key)) throw new ApiError('validation', 'session_api_keys cannot contain empty keys');
    this.stateValue = 'initializing';
    this.error = null;
    try {
      await this.apply(req);
      this.stateValue = 'ready';
      return this.snapshot();
    } catch (err) {
      // The cause (a path, a library's message) is only logged, with the 500's error id; the state says that much.
      this.error = 'initialization failed; the server log has the cause';
      this.stateValue = 'dormant';
      throw new OperationFailedError('POST /api/init failed', { cause: err });
    }
  }
}

/** /api/init; `init` undefined when the server was not started dormant (both routes 404). */
export function initRouter(init: InitService | undefined): Router {
  const router = Router();
  const service = (): InitService => {
    if (!init) throw new ApiError('not_found', NOT_DEFERRED);
    return init;
  };
  router.get('/', (_req, res) => void res.json(service().snapshot()));
  router.post('/', async (req, res) => {
    const init = service();
    const header = req.headers['x-init-api-key'];
    init.checkKey(typeof header === 'string' ? header : undefined);
    res.json(await init.initialize(parseOrThrow(InitRequestSchema, req.body ?? {}, 'body')));
  });
  return router;
}

/** Answers 503 for every request while `init` is not ready (mounted on /api after /api/init). */
export function dormantGate(init: InitService): RequestHandler {
  return (_req, _res, next) => {
    if (init.state === 'ready') return next();
    next(new ApiError('unavailable', `server is in deferred-init state '${init.state}'; call POST /api/init first`));
  };
}

/**
 * The dormant configuration with what /api/init delivered (paths resolved against `cwd`), no longer deferred. The
 * LLM settings the server fills into a conversation without its own (LLM_MODEL, LLM_API_KEY, LLM_BASE_URL) are read
 * from the delivered `env` too, as a server started with them would have read them from its environment.
 */
export function initializedConfig(base: Config, req: InitRequest, cwd: string): Config {
  const secretKey = req.secret_key?.trim() ? req.secret_key : base.secretKey;
  return Object.freeze({
    ...base,
    deferredInit: false,
    ...(req.session_api_keys ? { sessionApiKeys: Object.freeze([...req.session_api_keys]) as string[] } : {}),
    ...(secretKey !== undefined ? { secretKey } : {}),
    ...(req.conversations_path ? { conversationsPath: resolve(cwd, req.conversations_path) } : {}),
    ...(req.bash_events_dir ? { bashEventsDir: resolve(cwd, req.bash_events_dir) } : {}),
    ...(req.allow_cors_origins ? { allowCorsOrigins: [...req.allow_cors_origins] } : {}),
    ...(req.max_concurrent_runs ? { maxConcurrentRuns: req.max_concurrent_runs } : {}),
    ...(req.env?.LLM_MODEL ? { llmModel: req.env.LLM_MODEL } : {}),
    ...(req.env?.LLM_API_KEY ? { llmApiKey: req.env.LLM_API_KEY } : {}),
    ...(req.env?.LLM_BASE_URL ? { llmBaseUrl: req.env.LLM_BASE_URL } : {}),
  });
}
