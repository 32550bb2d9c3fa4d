// A directory on this machine as a workspace: commands run with bash in their own process group (so a
// timeout stops the whole pipeline), files are read and written directly, and git answers come from the
// same code as the agent server's /api/git routes.
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { AgentWorkspaceError } from '../errors.js';
import { localLauncher, type ProcessLauncher } from '../process/launcher.js';
import { NotFoundError } from '../remote/errors.js';
import type { GitChange, GitDiff } from '../remote/protocol.js';
import { GitRepositoryError, gitChanges, gitDiff } from './git.js';
import { nodeFiles } from './node-files.js';
import type { ExecuteOptions, ExecuteResult, Workspace } from './workspace.js';

export class LocalWorkspace implements Workspace {
  readonly workingDir: string;

  /**
   * `workingDir` must be absolute; it is created when the first conversation or command needs it. `launcher` starts
   * the commands (default: local child processes with this process's environment).
   */
  constructor(workingDir: string, private readonly launcher: ProcessLauncher = localLauncher) {
    if (!isAbsolute(workingDir)) throw new AgentWorkspaceError(`LocalWorkspace needs an absolute directory, got "${workingDir}"`);
    this.workingDir = resolve(workingDir);
  }

  /** `path` with relative paths taken from `workingDir`. */
  resolve(path: string): string {
    return resolve(this.workingDir, path);
  }

  async execute(command: string, options: ExecuteOptions = {}): Promise<ExecuteResult> {
    const cwd = this.resolve(options.cwd ?? this.workingDir);
    await mkdir(cwd, { recursive: true });
    return new Promise((done, fail) => {
      const child = this.launcher.launch('bash', ['-c', command], { cwd, env: process.env });
      let stdout = '';
      let stderr = '';
      let timedOut = false;
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      const killGroup = (signal: NodeJS.Signals) => child.signalGroup(signal);
      const timer = setTimeout(() => {
        timedOut = true;
        killGroup('SIGTERM');
        setTimeout(() => killGroup('SIGKILL'), 2000).unref();
      }, options.timeoutMs ?? 300_000);
      child.on('error', (err: Error) => {
        clearTimeout(timer);
        fail(new AgentWorkspaceError(`execute: cannot start bash: ${err.message}`, { cause: err }));
      });
      child.on('close', (code: number | null) => {
        clearTimeout(timer);
        done({ exitCode: timedOut ? -1 : (code ?? -1), stdout, stderr });
      });
    });
  }

  async upload(source: string | Uint8Array, path: string): Promise<void> {
    const target = this.resolve(path);
    await mkdir(dirname(target), { recursive: true });
    if (typeof source === 'string') await copyFile(resolve(source), target);
    else await writeFile(target, source);
  }

  download(path: string): Promise<Uint8Array>;
  download(path: string, localPath: string): Promise<void>;
  async download(path: string, localPath?: string): Promise<Uint8Array | void> {
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await readFile(this.resolve(path)));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError(`download: ${this.resolve(path)} does not exist`, 404, 'File not found', { cause: err });
      throw err;
    }
    if (localPath === undefined) return bytes;
    await nodeFiles.writeFile(localPath, bytes);
  }

  async gitChanges(path?: string): Promise<GitChange[]> {
    try {
      return await gitChanges(this.resolve(path ?? this.workingDir), undefined);
    } catch (err) {
      if (err instanceof GitRepositoryError) return [];
      throw err;
    }
  }

  async gitDiff(path: string): Promise<GitDiff> {
    try {
      return await gitDiff(this.resolve(path), undefined);
    } catch (err) {
      if (err instanceof GitRepositoryError) return { modified: null, original: null };
      throw err;
    }
  }

  /** Nothing to release: the directory stays. */
  async close(): Promise<void> {}
}
