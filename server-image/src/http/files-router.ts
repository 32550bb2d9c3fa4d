// /api/file: upload, download, create_directory, home, search_subdirs, archive (OpenHands file_router).
import { mkdir, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { Router, type Response } from 'express';
import { z } from 'zod';
import { GitCommandError, GitRepositoryError } from '@agentworkspace/sdk/git';
import { DEFAULT_EXCLUDES, buildArchive } from '../files/archive.js';
import { home, searchSubdirs } from '../files/browse.js';
import { type PathPolicy, PathQuerySchema } from '../files/paths.js';
import type { Metrics } from '../metrics.js';
import type { ServerState } from '../server-state.js';
import { parseOrThrow } from '../validation.js';
import { ApiError } from './errors.js';
import type { RouteDocs } from './openapi.js';
import { ClientGoneError, sendFileBody } from './send-file.js';
import { receiveUpload } from './upload.js';

const bool = z.union([z.boolean(), z.enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'])])
  .transform((v) => v === true || v === 'true' || v === '1' || v === 'yes' || v === 'on');

const HomeQuery = z.object({ include_hidden: bool.default(false) });
const SubdirsQuery = z.object({
  page_id: z.string().optional(),
  limit: z.coerce.number().int().gt(0).lte(100).default(100),
  include_hidden: bool.default(false),
});

const ArchiveQuery = z.object({
  format: z.enum(['git-delta', 'tar.gz']).default('git-delta'),
  base_ref: z.string().optional(),
  use_default_excludes: bool.default(true),
  exclude: z.union([z.string(), z.array(z.string())]).optional()
    .transform((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v])),
});

export const fileRouteDocs: RouteDocs = {
  'POST /upload': { summary: 'Stores the multipart field `file` at `path` (parents created): {success, file_size}', query: PathQuerySchema },
  'GET /download': { summary: 'The file at `path`, as application/octet-stream', query: PathQuerySchema },
  'POST /create_directory': { summary: 'Creates the directory `path` and its parents', query: PathQuerySchema },
  'GET /home': { summary: "The server user's home, its top-level directories, /", query: HomeQuery },
  'GET /search_subdirs': { summary: 'Immediate subdirectories of `path`, paged', query: PathQuerySchema.extend(SubdirsQuery.shape) },
  'GET /archive': { summary: 'A tarball or a binary git patch of `path`', query: PathQuerySchema.extend(ArchiveQuery.shape) },
};

function contentDisposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

/** Sends `file` (`size` bytes) as the response; counts the bytes sent. */
async function sendFile(res: Response, file: string, size: number, onBytes: (n: number) => void): Promise<void> {
  res.setHeader('Content-Length', String(size));
  if (size === 0) {
    res.end();
    return;
  }
  try {
    await sendFileBody(res, file, size, onBytes);
  } catch (err) {
    // The client went away mid-download: nothing to answer, nothing to log as a server error.
    if (!(err instanceof ClientGoneError)) throw err;
  }
}

/** 404 when `target` does not exist, 400 when it is not a directory. */
async function requireDirectory(target: string): Promise<void> {
  let info;
  try {
    info = await stat(target);
  } catch {
    throw new ApiError('not_found', 'Directory not found');
  }
  if (!info.isDirectory()) throw new ApiError('bad_request', 'Path is not a directory');
}

export function filesRouter(paths: PathPolicy, state: ServerState, metrics: Metrics, maxUploadBytes: number): Router {
  const router = Router();

  router.post('/upload', async (req, res) => {
    const target = await paths.fromQuery(req.query);
    state.touch();
    const fileSize = await receiveUpload(req, target, paths, { maxBytes: maxUploadBytes, onBytes: (n) => metrics.bytesMoved.inc({ direction: 'upload' }, n) });
    res.json({ success: true, file_size: fileSize });
  });

  router.get('/download', async (req, res) => {
    const target = await paths.fromQuery(req.query);
    state.touch();
    let info;
    try {
      info = await stat(target);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') throw new ApiError('not_found', 'File not found');
      if (code === 'EACCES') throw new ApiError('forbidden', 'Permission denied');
      throw err;
    }
    if (!info.isFile()) throw new ApiError('bad_request', 'Path is not a file');
    res.status(200).type('application/octet-stream').setHeader('Content-Disposition', contentDisposition(basename(target)));
    await sendFile(res, target, info.size, (n) => metrics.bytesMoved.inc({ direction: 'download' }, n));
  });

  router.post('/create_directory', async (req, res) => {
    const target = await paths.fromQuery(req.query);
    state.touch();
    try {
      await mkdir(target, { recursive: true });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' || code === 'ENOTDIR') throw new ApiError('bad_request', 'Path exists and is not a directory');
      if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') throw new ApiError('forbidden', 'Permission denied');
      throw err;
    }
    res.json({ success: true });
  });

  router.get('/home', async (req, res) => {
    const q = parseOrThrow(HomeQuery, req.query, 'query');
    res.json(await home(q.include_hidden));
  });

  router.get('/search_subdirs', async (req, res) => {
    const target = await paths.fromQuery(req.query);
    const q = parseOrThrow(SubdirsQuery, req.query, 'query');
    await requireDirectory(target);
    try {
      res.json(await searchSubdirs(target, { pageId: q.page_id, limit: q.limit, includeHidden: q.include_hidden }));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EACCES') throw new ApiError('forbidden', 'Permission denied');
      throw err;
    }
  });

  router.get('/archive', async (req, res) => {
    const target = await paths.fromQuery(req.query);
    const q = parseOrThrow(ArchiveQuery, req.query, 'query');
    state.touch();
    await requireDirectory(target);
    if (q.base_ref?.startsWith('-')) throw new ApiError('bad_request', "base_ref must not start with '-'");
    const excludes = [...(q.use_default_excludes ? DEFAULT_EXCLUDES : []), ...q.exclude];
    let archive;
    try {
      archive = await buildArchive(target, { format: q.format, baseRef: q.base_ref, excludes });
    } catch (err) {
      if (err instanceof GitRepositoryError) throw new ApiError('bad_request', `Not a git repository: ${err.message}`);
      if (err instanceof GitCommandError) throw new ApiError('bad_request', err.message);
      throw err;
    }
    try {
      res.status(200).type(archive.contentType).set(archive.headers).setHeader('Content-Disposition', contentDisposition(archive.filename));
      await sendFile(res, archive.file, archive.size, (n) => metrics.bytesMoved.inc({ direction: 'archive' }, n));
    } finally {
      await archive.dispose();
    }
  });

  return router;
}
