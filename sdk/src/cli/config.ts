// What the CLI knows of workspaces that are not in Kubernetes (those the cluster itself lists): a local
// directory, or an agent server's URL with the path of a file holding its session key — never the key itself.
// One JSON file, $XDG_CONFIG_HOME/agentws/workspaces.json (else ~/.config/agentws/workspaces.json), written
// whole (temporary file, then rename) with mode 0600 in a 0700 directory.
import { chmodSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { z } from 'zod';
import { CliError } from './errors.js';

/** Workspace names: lowercase RFC 1123 labels, as AgentWorkspace names, so that `NAME:PATH` in cp is unambiguous. */
export const WorkspaceNameSchema = z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'a workspace name is 1–63 lowercase letters, digits and "-", starting and ending with a letter or digit');

const AbsolutePath = z.string().refine(isAbsolute, 'must be an absolute path');

export const LocalEntrySchema = z.strictObject({
  kind: z.literal('local'),
  /** The directory the agent works in, on this machine. */
  dir: AbsolutePath,
});

export const UrlEntrySchema = z.strictObject({
  kind: z.literal('url'),
  /** The agent server's base URL. */
  url: z.url(),
  /** A file holding the session key (read at each use). Absent: a server without keys. */
  keyFile: AbsolutePath.optional(),
  /** The agent's directory on the server. Default /workspace. */
  workingDir: AbsolutePath.optional(),
});

export const DockerEntrySchema = z.strictObject({
  kind: z.literal('docker'),
  /** The agent server in the container, published on 127.0.0.1. */
  url: z.url(),
  /** The file holding the container's session key (0600, beside the config file). */
  keyFile: AbsolutePath,
  /** The container (kept alive; `agentws delete` removes it). */
  containerId: z.string().min(1),
  /** The image it runs (for a --docker-dev one, the built image's tag). */
  image: z.string().min(1),
});

export const WorkspaceEntrySchema = z.discriminatedUnion('kind', [LocalEntrySchema, UrlEntrySchema, DockerEntrySchema]);
export type WorkspaceEntry = z.infer<typeof WorkspaceEntrySchema>;

export const ConfigSchema = z.strictObject({
  workspaces: z.record(WorkspaceNameSchema, WorkspaceEntrySchema).default({}),
});
export type Config = z.infer<typeof ConfigSchema>;

/** $XDG_CONFIG_HOME/agentws when XDG_CONFIG_HOME is absolute (the XDG rule), else ~/.config/agentws. */
export function configDir(env: NodeJS.ProcessEnv): string {
  const xdg = env.XDG_CONFIG_HOME;
  return xdg && isAbsolute(xdg) ? join(xdg, 'agentws') : join(env.HOME || homedir(), '.config', 'agentws');
}

export const configFile = (env: NodeJS.ProcessEnv): string => join(configDir(env), 'workspaces.json');

/** Where `create --docker` keeps a container's session key: <config dir>/keys/<name>.key. */
export const dockerKeyFile = (env: NodeJS.ProcessEnv, name: string): string => join(configDir(env), 'keys', `${name}.key`);

/** The config; an empty one when the file does not exist. A file that does not parse is an error naming it. */
export function loadConfig(env: NodeJS.ProcessEnv): Config {
  const file = configFile(env);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { workspaces: {} };
    throw new CliError(`cannot read ${file}: ${(err as Error).message}`, undefined, { cause: err });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new CliError(`${file} is not JSON (${(err as Error).message}); fix or remove it`, undefined, { cause: err });
  }
  const parsed = ConfigSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new CliError(`${file}: ${issue.path.join('.') || '(top level)'}: ${issue.message}; fix or remove it`);
  }
  return parsed.data;
}

export function saveConfig(env: NodeJS.ProcessEnv, config: Config): void {
  const dir = configDir(env);
  const file = configFile(env);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(ConfigSchema.parse(config), null, 2)}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

/** The session key from `keyFile` (surrounding whitespace trimmed). `warn` is told when others may read the file. */
export function readKeyFile(keyFile: string, workspace: string, warn: (message: string) => void): string {
  let key: string;
  try {
    if ((statSync(keyFile).mode & 0o004) !== 0) warn(`the key file ${keyFile} is world-readable; chmod 600 it`);
    key = readFileSync(keyFile, 'utf8').trim();
  } catch (err) {
    throw new CliError(`cannot read the key file of workspace ${workspace} (${keyFile}): ${(err as Error).message}`, undefined, { cause: err });
  }
  if (!key) throw new CliError(`the key file of workspace ${workspace} (${keyFile}) is empty`);
  return key;
}
