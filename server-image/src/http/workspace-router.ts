// A conversation's workspace as a static web server (OpenHands 1.58 `workspace_router.py`, `auth_router.py`):
// GET /api/conversations/{id}/workspace[/{path}] serves the file (a directory: its index.html), confined to the
// workspace after symlinks are resolved. Browsers cannot send headers from <iframe src> or <img src>, so these
// two routes — and no other — also accept the `oh_workspace_session_key` cookie, which
// POST /api/auth/workspace-session (with the header) sets and DELETE clears.
import { realpath, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { parse as parseCookies } from 'cookie';
import { Router, type Request, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import { SESSION_KEY_HEADER, headerKey, keyMatches } from './auth.js';
import { parseOrThrow } from '../validation.js';
import { ApiError } from './errors.js';
import type { RouteDocs } from './openapi.js';

export const WORKSPACE_COOKIE = 'oh_workspace_session_key';
const COOKIE_PATH = '/api/conversations';
const COOKIE_MAX_AGE_MS = 10 * 365 * 24 * 3600 * 1000;
const LOOPBACK = new Set(['localhost', '127.0.0.1', '::1']);

/** The working directory of a conversation named by a client's raw id; undefined when there is none. */
export type WorkspaceLookup = (conversationId: string) => string | undefined;

export const workspaceRouteDocs: RouteDocs = {
  'GET /:conversation_id/workspace': { summary: "The workspace root's index.html (header or workspace cookie)" },
  'GET /:conversation_id/workspace/*file_path': { summary: 'A file of the workspace, or a directory\'s index.html (header or workspace cookie)' },
};

export const workspaceSessionDocs: RouteDocs = {
  'POST /workspace-session': { summary: 'Sets the workspace session cookie (204)' },
  'DELETE /workspace-session': { summary: 'Clears the workspace session cookie (204)' },
};

/** The header key, else the workspace cookie, must be a configured key (none configured: open). */
function headerOrCookie(keys: readonly string[]): RequestHandler {
  return (req, _res, next) => {
    if (keys.length === 0) return next();
    const cookie = parseCookies(req.headers.cookie ?? '')[WORKSPACE_COOKIE];
    if (keyMatches(keys, headerKey(req.headers[SESSION_KEY_HEADER])) || keyMatches(keys, cookie)) return next();
    next(new ApiError('unauthorized', 'Unauthorized'));
  };
}

const IdPath = z.object({ conversation_id: z.uuid({ message: 'Input should be a valid UUID' }).or(z.string().regex(/^[0-9a-fA-F]{32}$/, 'Input should be a valid UUID')) });

/** GET …/workspace[/…], mounted at /api/conversations before the session-key check (it has its own). */
export function workspaceRouter(keys: readonly string[], workspaceOf: WorkspaceLookup): Router {
  const router = Router();
  router.use(['/:conversation_id/workspace', '/:conversation_id/workspace/*file_path'], headerOrCookie(keys));

  const serve = async (req: Request, res: Response, filePath: string) => {
    const { conversation_id } = parseOrThrow(IdPath, req.params, 'path');
    const dir = workspaceOf(conversation_id);
    if (dir === undefined) throw new ApiError('not_found', `Conversation not found: ${conversation_id}`);
    let root: string;
    try {
      root = await realpath(dir);
      if (!(await stat(root)).isDirectory()) throw new Error('not a directory');
    } catch {
      throw new ApiError('not_found', 'Workspace directory does not exist');
    }
    if (filePath.includes('\0')) throw new ApiError('bad_request', 'Path must not contain NUL bytes');
    let target = join(root, filePath);
    try {
      target = await realpath(target);
    } catch {
      // A missing file: confined by its path alone (join has resolved any `..`).
    }
    if (target !== root && !target.startsWith(root + sep)) throw new ApiError('bad_request', 'Path is outside the workspace');
    const info = await stat(target).catch(() => undefined);
    if (info?.isDirectory()) {
      target = join(target, 'index.html');
      if (!(await stat(target).catch(() => undefined))?.isFile()) throw new ApiError('not_found', 'No index.html in directory');
    } else if (!info?.isFile()) {
      throw new ApiError('not_found', 'File not found');
    }
    await new Promise<void>((resolve, reject) => res.sendFile(target, { dotfiles: 'allow' }, (err) => (err && !res.headersSent ? reject(err) : resolve())));
  };
  router.get('/:conversation_id/workspace', (req, res) => serve(req, res, ''));
  router.get('/:conversation_id/workspace/*file_path', (req, res) => {
    const parts = (req.params as { file_path?: string | string[] }).file_path ?? [];
    return serve(req, res, Array.isArray(parts) ? parts.join('/') : parts);
  });
  return router;
}

/** Whether the browser would keep a `Secure` cookie for this request: HTTPS (X-Forwarded-Proto honoured) or loopback. */
function secureContext(req: Request): boolean {
  const proto = String(req.headers['x-forwarded-proto'] ?? '').split(',')[0]?.trim().toLowerCase() || req.protocol;
  if (proto === 'https') return true;
  let host = String(req.headers['x-forwarded-host'] ?? '').split(',')[0]?.trim() || String(req.headers.host ?? '');
  if (host.startsWith('[')) host = host.slice(1, host.indexOf(']'));
  else if (host.split(':').length === 2) host = host.split(':')[0] as string;
  return LOOPBACK.has(host.toLowerCase());
}

/** POST and DELETE /api/auth/workspace-session, behind the session key. */
export function workspaceSessionRouter(): Router {
  const router = Router();
  router.post('/workspace-session', (req, res) => {
    const secure = secureContext(req);
    res.cookie(WORKSPACE_COOKIE, headerKey(req.headers[SESSION_KEY_HEADER]) ?? '', {
      maxAge: COOKIE_MAX_AGE_MS, path: COOKIE_PATH, httpOnly: true, sameSite: 'none', secure, partitioned: secure,
    }).status(204).end();
  });
  router.delete('/workspace-session', (req, res) => {
    const secure = secureContext(req);
    res.clearCookie(WORKSPACE_COOKIE, { path: COOKIE_PATH, httpOnly: true, sameSite: 'none', secure, partitioned: secure }).status(204).end();
  });
  return router;
}
