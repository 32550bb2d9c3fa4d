// An agent server's workspace over its HTTP API (openhands-protocol.md §3.4–§3.6, §8.1), with no Node
// built-ins so that `@agentworkspace/sdk/remote` bundles for browsers. Local file paths (upload from a
// path, download to a path) go through the `localFiles` seam: the root entry's RemoteWorkspace passes
// node:fs; without it (a browser) only bytes are accepted.
import { sleep } from '../backoff.js';
import { AgentWorkspaceError } from '../errors.js';
import { TimeoutError } from '../remote/errors.js';
import { HttpClient } from '../remote/http-client.js';
import {
  BashCommandSchema, BashOutputPageSchema, GitChangeSchema, GitDiffSchema, SuccessSchema, type GitChange, type GitDiff,
} from '../remote/protocol.js';
import type { ExecuteOptions, ExecuteResult, LocalFiles, Workspace } from './workspace.js';
import { z } from 'zod';

export interface RemoteWorkspaceOptions {
  /** The agent server's base URL, e.g. `http://127.0.0.1:8000` or a Kubernetes Service URL. */
  url: string;
  /** Sent as `X-Session-API-Key` and in the events socket's auth frame. Default: none (a server without keys). */
  sessionApiKey?: string | undefined;
  /** The directory on the server the agent works in (created if missing). Default `/workspace` (the Python client's). */
  workingDir?: string | undefined;
  /** Per-request limit of the HTTP calls. @unit milliseconds. Default 60 000. */
  timeoutMs?: number | undefined;
  /** Retries of idempotent calls after connection errors, timeouts, 429 and 5xx. Default 2. */
  maxRetries?: number | undefined;
  /** Default: the global `fetch`. */
  fetch?: typeof fetch | undefined;
  /** Reads and writes local paths for `upload(path)` and `download(path, localPath)`. Default: none (bytes only); the root entry passes node:fs. */
  localFiles?: LocalFiles | undefined;
}

/** Command output is read by polling its events, as the Python client does; this is the pause between polls. */
const POLL_INTERVAL_MS = 100;
/** How long past a command's own timeout the client waits for the server to report the end. */
const EXECUTE_GRACE_MS = 30_000;

/** A workspace on an agent server: `url` and `sessionApiKey` also serve the official OpenHands clients. */
export class RemoteWorkspace implements Workspace {
  readonly url: string;
  readonly sessionApiKey: string | undefined;
  readonly workingDir: string;
  /** The HTTP client conversations on this workspace share. */
  readonly http: HttpClient;
  private readonly localFiles: LocalFiles | undefined;

  constructor(options: RemoteWorkspaceOptions) {
    this.http = new HttpClient(options);
    this.url = this.http.url;
    this.sessionApiKey = options.sessionApiKey;
    this.workingDir = (options.workingDir ?? '/workspace').replace(/(.)\/+$/, '$1');
    this.localFiles = options.localFiles;
  }

  /** `path` as the server sees it: absolute paths as they are, others under `workingDir`. */
  resolve(path: string): string {
    return path.startsWith('/') ? path : `${this.workingDir}/${path.replace(/^\.\//, '')}`;
  }

  async execute(command: string, options: ExecuteOptions = {}): Promise<ExecuteResult> {
    const timeoutMs = options.timeoutMs ?? 300_000;
    const started = await this.http.request('POST', '/api/bash/start_bash_command', {
      json: { command, cwd: this.resolve(options.cwd ?? this.workingDir), timeout: Math.max(1, Math.ceil(timeoutMs / 1000)) },
      schema: BashCommandSchema,
    });
    const deadline = Date.now() + timeoutMs + EXECUTE_GRACE_MS;
    let order = -1;
    let stdout = '';
    let stderr = '';
    for (;;) {
      const page = await this.http.request('GET', '/api/bash/bash_events/search', {
        query: { kind__eq: 'BashOutput', command_id__eq: started.id, order__gt: order, sort_order: 'TIMESTAMP', limit: 100 },
        schema: BashOutputPageSchema,
      });
      for (const chunk of [...page.items].sort((a, b) => a.order - b.order)) {
        if (chunk.order <= order) continue;
        order = chunk.order;
        stdout += chunk.stdout ?? '';
        stderr += chunk.stderr ?? '';
        if (chunk.exit_code !== null && chunk.exit_code !== undefined) return { exitCode: chunk.exit_code, stdout, stderr };
      }
      if (page.items.length > 0) continue;
      if (Date.now() > deadline) {
        throw new TimeoutError(`execute: the server reported no end of "${command.slice(0, 80)}" within ${timeoutMs + EXECUTE_GRACE_MS} ms; check the server's health.`);
      }
      await sleep(POLL_INTERVAL_MS);
    }
  }

  async upload(source: string | Uint8Array, path: string): Promise<void> {
    const bytes = typeof source === 'string' ? await this.files('upload from a local path').readFile(source) : source;
    const form = new FormData();
    form.append('file', new Blob([bytes as Uint8Array<ArrayBuffer>]), path.split('/').at(-1) || 'file');
    // Re-sending the same bytes to the same path has the same effect, so the upload may be retried.
    await this.http.request('POST', '/api/file/upload', { query: { path: this.resolve(path) }, body: form, schema: SuccessSchema, idempotent: true });
  }

  download(path: string): Promise<Uint8Array>;
  download(path: string, localPath: string): Promise<void>;
  async download(path: string, localPath?: string): Promise<Uint8Array | void> {
    const files = localPath === undefined ? undefined : this.files('download to a local path');
    const bytes = await this.http.bytes('GET', '/api/file/download', { query: { path: this.resolve(path) } });
    if (files && localPath !== undefined) return files.writeFile(localPath, bytes);
    return bytes;
  }

  async gitChanges(path?: string): Promise<GitChange[]> {
    return this.http.request('GET', '/api/git/changes', { query: { path: this.resolve(path ?? this.workingDir) }, schema: z.array(GitChangeSchema) });
  }

  async gitDiff(path: string): Promise<GitDiff> {
    return this.http.request('GET', '/api/git/diff', { query: { path: this.resolve(path) }, schema: GitDiffSchema });
  }

  /** Nothing to release: this workspace did not start the server. */
  async close(): Promise<void> {}

  private files(what: string): LocalFiles {
    if (!this.localFiles) {
      throw new AgentWorkspaceError(`${what} needs a file system: pass bytes, or use RemoteWorkspace from '@agentworkspace/sdk' (Node), or give localFiles.`);
    }
    return this.localFiles;
  }
}
