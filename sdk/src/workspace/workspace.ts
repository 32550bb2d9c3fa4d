import type { GitChange, GitDiff } from '../remote/protocol.js';

export interface ExecuteOptions {
  /** The directory the command runs in; relative paths are taken from the workspace's `workingDir`. Default: `workingDir`. */
  cwd?: string;
  /** Then the command is stopped (its whole process group) and `exitCode` is -1. @unit milliseconds. Default 300 000. */
  timeoutMs?: number;
}

export interface ExecuteResult {
  /** The command's exit status; -1 when it was stopped at `timeoutMs`. */
  exitCode: number;
  stdout: string;
  stderr: string;
}

/**
 * Where an agent works: a directory here (`LocalWorkspace`) or an agent server's (`RemoteWorkspace`, and the
 * Kubernetes and Docker workspaces built on it). The same code drives any of them; paths that are not absolute
 * are taken from `workingDir`.
 */
export interface Workspace {
  /** The agent's working directory, on the machine that runs the agent. */
  readonly workingDir: string;
  /** Runs `command` with bash (`bash -c`), outside any conversation. */
  execute(command: string, options?: ExecuteOptions): Promise<ExecuteResult>;
  /** Writes bytes, or a local file's contents, to `path` in the workspace (parents created). */
  upload(source: string | Uint8Array, path: string): Promise<void>;
  /** A workspace file's bytes. Throws NotFoundError when it does not exist. */
  download(path: string): Promise<Uint8Array>;
  /** Copies a workspace file to `localPath` (parents created). */
  download(path: string, localPath: string): Promise<void>;
  /** Files changed in the git repository at `path` (default `workingDir`) against its base; [] when it is no repository. */
  gitChanges(path?: string): Promise<GitChange[]>;
  /** One file's text at the base and now. */
  gitDiff(path: string): Promise<GitDiff>;
  /** Releases what the workspace holds (a remote one it created: its pod or container). */
  close(): Promise<void>;
}

/** The file-system seam of workspaces that read and write local paths (Node's `fs`; absent in browsers). */
export interface LocalFiles {
  readFile(path: string): Promise<Uint8Array>;
  /** Creates missing parent directories. */
  writeFile(path: string, bytes: Uint8Array): Promise<void>;
}
