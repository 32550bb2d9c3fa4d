// /api/git: changes, diff, commits (OpenHands git_router). Not a repository → empty results;
// git failures → 400 with git's message.
import { Router } from 'express';
import { z } from 'zod';
import {
  GitCommandError, GitRepositoryError, gitChanges, gitCommitChanges, gitCommitFileDiff, gitCommits, gitDiff,
} from '@agentworkspace/sdk/git';
import { type PathPolicy, PathQuerySchema } from '../files/paths.js';
import type { ServerState } from '../server-state.js';
import { parseOrThrow } from '../validation.js';
import { ApiError } from './errors.js';
import type { RouteDocs } from './openapi.js';

// Hex only, so a SHA from a request can never reach git's argv as an option.
const sha = z.string().regex(/^[0-9a-fA-F]{4,64}$/, 'String should match pattern \'^[0-9a-fA-F]{4,64}$\'');
const ref = z.string().min(1).refine((v) => !v.startsWith('-'), 'ref must not start with \'-\'');

const ChangesQuery = z.object({ ref: ref.optional() });
const DiffQuery = z.object({ ref: ref.optional(), commit: sha.optional() });
const CommitsQuery = z.object({ limit: z.coerce.number().int().min(1).max(200).default(50) });
const ShaParam = z.object({ sha });

export const gitRouteDocs: RouteDocs = {
  'GET /changes': { summary: 'GitChange[] of the repository at `path` against `ref`', query: PathQuerySchema.extend(ChangesQuery.shape) },
  'GET /diff': { summary: 'The original and modified text of the file at `path`', query: PathQuerySchema.extend(DiffQuery.shape) },
  'GET /commits': { summary: 'Recent commits of the repository at `path`', query: PathQuerySchema.extend(CommitsQuery.shape) },
  'GET /commits/:sha/changes': { summary: 'Files changed by one commit', query: PathQuerySchema },
};

async function orEmpty<T>(empty: T, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof GitRepositoryError) return empty;
    if (err instanceof GitCommandError) throw new ApiError('bad_request', err.message);
    throw err;
  }
}

export function gitRouter(paths: PathPolicy, state: ServerState): Router {
  const router = Router();

  router.get('/changes', async (req, res) => {
    const path = await paths.fromQuery(req.query);
    const q = parseOrThrow(ChangesQuery, req.query, 'query');
    state.touch();
    res.json(await orEmpty([], () => gitChanges(path, q.ref)));
  });

  router.get('/diff', async (req, res) => {
    const path = await paths.fromQuery(req.query);
    const q = parseOrThrow(DiffQuery, req.query, 'query');
    if (q.ref !== undefined && q.commit !== undefined) throw new ApiError('bad_request', "'ref' and 'commit' are mutually exclusive");
    state.touch();
    const empty = { modified: null, original: null };
    res.json(await orEmpty(empty, () => (q.commit !== undefined ? gitCommitFileDiff(path, q.commit) : gitDiff(path, q.ref))));
  });

  router.get('/commits', async (req, res) => {
    const path = await paths.fromQuery(req.query);
    const q = parseOrThrow(CommitsQuery, req.query, 'query');
    state.touch();
    res.json(await orEmpty({ commits: [], has_more: false }, () => gitCommits(path, q.limit)));
  });

  router.get('/commits/:sha/changes', async (req, res) => {
    const { sha: commit } = parseOrThrow(ShaParam, req.params, 'path');
    const path = await paths.fromQuery(req.query);
    state.touch();
    res.json(await orEmpty([], () => gitCommitChanges(path, commit)));
  });

  return router;
}
