// Conversation-scoped bash, file and git routes (OpenHands 1.58 `runtime_router.py`, capability
// `conversation_runtime_routes_v1`): /api/conversations/{id}/{bash,file,git}/… are the /api/bash, /api/file and
// /api/git routes confined to that conversation's workspace. An unknown conversation is a 404; a `path` (or
// `workspace_dir`) that is relative or outside the workspace, or a bash `cwd` outside it, is a 422. Each
// conversation has its own bash events (in its directory's bash_events/), and its commands run in the
// workspace unless told otherwise. The Python client's RemoteWorkspace(runtime_conversation_id=…) uses them.
import { isAbsolute, join, resolve, sep } from 'node:path';
import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import { BashService, type BashServiceOptions } from '../bash/service.js';
import { BashEventStore } from '../bash/store.js';
import { PathPolicy } from '../files/paths.js';
import type { Metrics } from '../metrics.js';
import type { ServerState } from '../server-state.js';
import { bashRouter } from './bash-router.js';
import { parseOrThrow } from '../validation.js';
import { ApiError } from './errors.js';
import { filesRouter } from './files-router.js';
import { gitRouter } from './git-router.js';

/** Where a conversation lives: its directory (for its bash events) and its workspace. */
export interface ConversationPlaces {
  dir: string;
  workingDir: string;
}

/** The places of a conversation named by a client's raw id; undefined when unknown. */
export type ConversationLookup = (conversationId: string) => ConversationPlaces | undefined;

const IdPath = z.object({
  runtime_conversation_id: z.string().regex(/^([0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12})$/, 'Input should be a valid UUID'),
});

const inside = (root: string, path: string) => path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);

const AREAS = ['bash', 'file', 'git'] as const;
type Area = (typeof AREAS)[number];

interface Scoped {
  bash: BashService;
  routers: Record<Area, Router>;
}

export interface RuntimeRoutes {
  router: Router;
  /** Stops every conversation's running commands (server shutdown). */
  shutdown(graceMs: number): Promise<void>;
}

/**
 * The conversation-scoped routes, mounted at /api/conversations behind the session key. `bashOptions` are the
 * server's bash settings; each conversation gets its own store and working directory.
 */
export function runtimeRoutes(lookup: ConversationLookup, deps: {
  state: ServerState; metrics: Metrics; maxUploadBytes: number; bashOptions: Omit<BashServiceOptions, 'store' | 'defaultCwd' | 'retentionSeconds'>;
}): RuntimeRoutes {
  const scoped = new Map<string, Scoped>();
  const scopeOf = (places: ConversationPlaces): Scoped => {
    const key = places.dir;
    let entry = scoped.get(key);
    if (!entry) {
      const bash = new BashService({ ...deps.bashOptions, store: new BashEventStore(join(places.dir, 'bash_events')), defaultCwd: places.workingDir });
      const paths = new PathPolicy([places.workingDir]);
      const cwdInside: RequestHandler = (req, _res, next) => {
        const cwd = (req.body as { cwd?: unknown } | undefined)?.cwd;
        if (req.method === 'POST' && typeof cwd === 'string' && !inside(resolve(places.workingDir), resolve(places.workingDir, cwd))) {
          return next(new ApiError('validation', 'cwd must be inside the conversation workspace'));
        }
        next();
      };
      const routers = {
        bash: Router().use(cwdInside, bashRouter(bash, deps.state)),
        file: filesRouter(paths, deps.state, deps.metrics, deps.maxUploadBytes),
        git: gitRouter(paths, deps.state),
      };
      entry = { bash, routers };
      scoped.set(key, entry);
    }
    return entry;
  };

  const router = Router();
  for (const area of AREAS) {
    router.use(`/:runtime_conversation_id/${area}`, (req, res, next) => {
      const { runtime_conversation_id: id } = parseOrThrow(IdPath, req.params, 'path');
      const places = lookup(id);
      if (!places) throw new ApiError('not_found', 'Conversation not found');
      const root = resolve(places.workingDir);
      for (const name of ['path', 'workspace_dir']) {
        const value = req.query[name];
        if (typeof value === 'string' && (!isAbsolute(value) || !inside(root, resolve(value)))) {
          throw new ApiError('validation', `${name} must be inside the conversation workspace`);
        }
      }
      scopeOf(places).routers[area](req, res, next);
    });
  }
  return {
    router,
    shutdown: async (graceMs) => {
      await Promise.all([...scoped.values()].map((s) => s.bash.shutdown(graceMs)));
    },
  };
}
