// /api/bash: run commands and read their events (OpenHands bash_router).
import { Router } from 'express';
import { z } from 'zod';
import { ShuttingDownError, type BashService } from '../bash/service.js';
import { ExecuteBashRequestSchema, fileStampFromMicros, microsFromIso, toHexUuid } from '../bash/events.js';
import type { ServerState } from '../server-state.js';
import { parseOrThrow } from '../validation.js';
import { ApiError } from './errors.js';
import type { RouteDocs } from './openapi.js';

const isoDateTime = z.string().transform((value, ctx) => {
  const micros = microsFromIso(value);
  if (micros === undefined) {
    ctx.addIssue({ code: 'custom', message: 'Input should be a valid datetime' });
    return z.NEVER;
  }
  return fileStampFromMicros(micros);
});

const SearchQuery = z.object({
  kind__eq: z.enum(['BashCommand', 'BashOutput']).optional(),
  command_id__eq: z.string().transform((value, ctx) => {
    const hex = toHexUuid(value);
    if (!hex) {
      ctx.addIssue({ code: 'custom', message: 'Input should be a valid UUID' });
      return z.NEVER;
    }
    return hex;
  }).optional(),
  timestamp__gte: isoDateTime.optional(),
  timestamp__lt: isoDateTime.optional(),
  order__gt: z.coerce.number().int().optional(),
  sort_order: z.enum(['TIMESTAMP', 'TIMESTAMP_DESC']).default('TIMESTAMP'),
  page_id: z.string().optional(),
  limit: z.coerce.number().int().gt(0).lte(100).default(100),
});

const BatchBody = z.array(z.string());

/** A path UUID, dashed or hex (FastAPI's UUID parameter), as its hex form. */
const CommandIdPath = z.object({
  command_id: z.string().transform((value, ctx) => {
    const hex = toHexUuid(value);
    if (!hex) {
      ctx.addIssue({ code: 'custom', message: 'Input should be a valid UUID' });
      return z.NEVER;
    }
    return hex;
  }),
});

export const bashRouteDocs: RouteDocs = {
  'POST /start_bash_command': { summary: 'Starts a command; answers its BashCommand at once', body: ExecuteBashRequestSchema },
  'POST /execute_bash_command': { summary: 'Runs a command to completion; answers its last BashOutput', body: ExecuteBashRequestSchema },
  'GET /bash_events/search': { summary: 'Searches the bash events: a BashEventPage', query: SearchQuery },
  'GET /bash_events': { summary: 'Bash events by id (the body is a JSON list of ids); null for unknown ids', body: BatchBody },
  'GET /bash_events/:event_id': { summary: 'One bash event' },
  'DELETE /bash_events': { summary: 'Deletes every bash event' },
  'POST /bash_commands/:command_id/stop': { summary: 'Stops a running command (SIGTERM, then SIGKILL); success for a finished one, 404 for an unknown one' },
};

export function bashRouter(bash: BashService, state: ServerState): Router {
  const router = Router();

  const startOrUnavailable = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof ShuttingDownError) throw new ApiError('unavailable', err.message);
      throw err;
    }
  };

  router.post('/start_bash_command', async (req, res) => {
    const request = parseOrThrow(ExecuteBashRequestSchema, req.body, 'body');
    state.touch();
    const { command } = await startOrUnavailable(() => bash.start(request));
    res.json(command);
  });

  router.post('/execute_bash_command', async (req, res) => {
    const request = parseOrThrow(ExecuteBashRequestSchema, req.body, 'body');
    state.touch();
    res.json(await startOrUnavailable(() => bash.execute(request)));
  });

  router.get('/bash_events/search', async (req, res) => {
    const q = parseOrThrow(SearchQuery, req.query, 'query');
    res.json(await bash.store.search({
      kind: q.kind__eq, commandId: q.command_id__eq, stampGte: q.timestamp__gte, stampLt: q.timestamp__lt,
      orderGt: q.order__gt, descending: q.sort_order === 'TIMESTAMP_DESC', pageId: q.page_id, limit: q.limit,
    }));
  });

  // GET with a JSON list of ids as its body (FastAPI's un-annotated list parameter).
  router.get('/bash_events', async (req, res) => {
    const ids = parseOrThrow(BatchBody, req.body, 'body');
    if (ids.length > 100) throw new ApiError('bad_request', 'At most 100 ids per request');
    res.json((await bash.store.getMany(ids)).map((event) => event ?? null));
  });

  router.get('/bash_events/:event_id', async (req, res) => {
    const event = await bash.store.get(req.params.event_id);
    if (!event) throw new ApiError('not_found', 'Not Found');
    res.json(event);
  });

  router.delete('/bash_events', async (_req, res) => {
    res.json({ cleared_count: await bash.store.clear() });
  });

  // OpenHands 1.58: idempotent; the Python client's stop_command treats 404 as "already gone".
  router.post('/bash_commands/:command_id/stop', async (req, res) => {
    const { command_id } = parseOrThrow(CommandIdPath, req.params, 'path');
    state.touch();
    if (!(await bash.stop(command_id)) && !(await bash.store.get(command_id))) throw new ApiError('not_found', 'Not Found');
    res.json({ success: true });
  });

  return router;
}
