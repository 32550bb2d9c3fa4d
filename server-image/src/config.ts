// The agent server's configuration: one zod schema over command-line flags and environment variables,
// parsed once by main.ts. No other module reads settings from process.env or process.argv (git children inherit the
// environment, which main.ts has cleared of secrets).
//
// OpenHands names are used where OpenHands has the setting (OH_SESSION_API_KEYS, OH_BASH_EVENTS_DIR, …);
// our own limits use the AGENT_SERVER_ prefix. Lists follow the OpenHands convention: a JSON list in
// NAME, or indexed NAME_0, NAME_1, … . Sizes end in _BYTES, durations in _MS.
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';

const MiB = 1024 * 1024;

const port = z.coerce.number().int().min(0).max(65535);
const bytes = (max: number) => z.coerce.number().int().positive().max(max);
const ms = z.coerce.number().int().min(0).max(24 * 3600 * 1000);
const nonEmpty = z.string().min(1);

/** The parsed configuration. Every field documents its source and default. */
export const ConfigSchema = z.object({
  /** `--host` / AGENT_SERVER_HOST. Default: 0.0.0.0 in a container or when a session key is set, else 127.0.0.1. */
  host: nonEmpty,
  /** `--port` / AGENT_SERVER_PORT. Default 8000; 0 picks a free port. */
  port: port.default(8000),
  /** OH_SESSION_API_KEYS (JSON list) / OH_SESSION_API_KEYS_0.. / SESSION_API_KEY. Empty: no authentication. */
  sessionApiKeys: z.array(nonEmpty).default([]),
  /** OH_ALLOW_CORS_ORIGINS (JSON list) / _0.. . localhost and 127.0.0.1 origins are always allowed. */
  allowCorsOrigins: z.array(nonEmpty).default([]),
  /** OH_CONVERSATIONS_PATH. Default workspace/conversations (relative to the working directory). */
  conversationsPath: nonEmpty.default('workspace/conversations'),
  /** OH_WORKSPACE_PATH. Default workspace/project. */
  workspacePath: nonEmpty.default('workspace/project'),
  /** OH_PERSISTENCE_DIR: OpenHands' user-level directory; LLM profiles (`title_llm_profile`) are read from its `profiles/`. Default ~/.openhands. */
  persistenceDir: nonEmpty.optional(),
  /** OH_BASH_EVENTS_DIR: one JSON file per bash event. Default workspace/bash_events. */
  bashEventsDir: nonEmpty.default('workspace/bash_events'),
  /** OH_BASH_EVENTS_RETENTION_SECONDS: bash event files older than this are deleted (checked every max(60 s, half of it)). Default unset: kept. */
  bashEventsRetentionSeconds: z.coerce.number().int().positive().nullable().default(null),
  /** AGENT_SERVER_FILE_ROOTS (JSON list) / _0..: absolute roots the file and git routes may touch. Empty: any path. */
  fileRoots: z.array(nonEmpty.refine(isAbsolute, 'must be an absolute path')).default([]),
  /** AGENT_SERVER_MAX_UPLOAD_BYTES. Default 1 GiB. Larger uploads get 413 and leave nothing behind. */
  maxUploadBytes: bytes(1024 * 1024 * MiB).default(1024 * MiB),
  /** AGENT_SERVER_MAX_JSON_BYTES: largest JSON request body. Default 1 MiB. */
  maxJsonBytes: bytes(64 * MiB).default(MiB),
  /** AGENT_SERVER_MAX_HEADER_BYTES: largest request head; larger gets 431. Default 16 KiB. */
  maxHeaderBytes: bytes(MiB).default(16 * 1024),
  /** AGENT_SERVER_BASH_CHUNK_BYTES: most bytes per BashOutput event (the protocol's 1 MiB). */
  bashChunkBytes: bytes(MiB).default(MiB),
  /** AGENT_SERVER_BASH_MAX_OUTPUT_BYTES: output kept per command; beyond it the command is killed. Default 64 MiB. */
  bashMaxOutputBytes: bytes(64 * 1024 * MiB).default(64 * MiB),
  /**
   * AGENT_SERVER_BASH_FLUSH_MS: pending output of a running command is published after this long. Default 0: only
   * full chunks and the last one, one event per command as OpenHands persists them.
   */
  bashFlushMs: ms.default(0),
  /** AGENT_SERVER_BASH_KILL_GRACE_MS: SIGTERM to SIGKILL delay on timeout or shutdown. Default 1000. */
  bashKillGraceMs: ms.default(1000),
  /** AGENT_SERVER_SHUTDOWN_GRACE_MS: how long SIGTERM waits for running commands before killing them. Default 5000. */
  shutdownGraceMs: ms.default(5000),
  /** OH_RUNTIME_IDLE_TIMEOUT_SECONDS: reported in /server_info. Default unset. */
  runtimeIdleTimeoutSeconds: z.coerce.number().positive().nullable().default(null),
  /** OPENHANDS_BUILD_GIT_SHA / OPENHANDS_BUILD_GIT_REF: reported in /server_info. */
  buildGitSha: z.string().default('unknown'),
  buildGitRef: z.string().default('unknown'),
  /** LOG_LEVEL: pino level. Default info. */
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** LLM_MODEL: model for conversations whose agent spec names none. Default unset. */
  llmModel: nonEmpty.optional(),
  /** LLM_API_KEY: key for conversations whose agent spec carries none (sent only to LLM_BASE_URL, or the model's default endpoint). Never returned by any API. */
  llmApiKey: nonEmpty.optional(),
  /** LLM_BASE_URL: the endpoint LLM_API_KEY belongs to. Default unset (the provider's own). */
  llmBaseUrl: nonEmpty.optional(),
  /** OH_MAX_CONCURRENT_RUNS: conversations running at once; beyond it starting a run is a 503. Default 10. */
  maxConcurrentRuns: z.coerce.number().int().positive().max(10_000).default(10),
  /** OH_CONVERSATION_IDLE_TTL_SECONDS: an unused loaded conversation (not running, no subscriber) is released after this. Default 1200. */
  conversationIdleTtlSeconds: z.coerce.number().int().positive().default(1200),
  /** AGENT_SERVER_MAX_MESSAGE_BYTES: largest user message content (JSON bytes), so its event fits a 1 MiB frame. Default 512 KiB. */
  maxMessageBytes: bytes(900 * 1024).default(512 * 1024),
  /**
   * AGENT_SERVER_WS_MAX_SUBSCRIBERS: subscribers per conversation (event and session sockets, and the server's own: one,
   * two while untitled with autotitle, as OpenHands 1.58.2 counts them); a socket over it is closed with 1013. Default 50.
   */
  wsMaxSubscribers: z.coerce.number().int().positive().max(10_000).default(50),
  /** AGENT_SERVER_WS_MAX_LAG_EVENTS: how far an event subscriber may fall behind before it is closed with 1013. Default 10000. */
  wsMaxLagEvents: z.coerce.number().int().positive().default(10_000),
  /** AGENT_SERVER_WS_HIGH_WATER_BYTES: bytes in flight per event subscriber before sending waits. Default 1 MiB. */
  wsHighWaterBytes: bytes(64 * MiB).default(MiB),
  /** AGENT_SERVER_WS_PING_MS: protocol ping interval on event sockets (0: off). Default 20000. */
  wsPingMs: ms.default(20_000),
  /** OH_SECRET_KEY: encrypts what conversations keep for restarts (client API keys, secrets). Default: the first session key. */
  secretKey: nonEmpty.optional(),
  /**
   * OH_DEFERRED_INIT (`1`/`true`): start dormant, as OpenHands' warm-pool mode: every /api route but /api/init answers
   * 503 and sockets are refused until `POST /api/init` (X-Init-API-Key: OH_SECRET_KEY) delivers keys and paths.
   */
  /**
   * AGENT_SERVER_METRICS_PORT: serve GET /metrics only on this port (on the same host), without the session key,
   * and not on the API port (0 picks a free port). Default unset: /metrics on the API port.
   */
  metricsPort: z.coerce.number().int().min(0).max(65535).optional(),
  /** AGENT_SERVER_METRICS_PUBLIC (`1`/`true`): /metrics on the API port without the session key. Default false: behind it. */
  metricsPublic: z.union([z.boolean(), z.enum(['1', '0', 'true', 'false', 'True', 'False'])])
    .transform((v) => v === true || v === '1' || v === 'true' || v === 'True').default(false),
  deferredInit: z.union([z.boolean(), z.enum(['1', '0', 'true', 'false', 'True', 'False'])])
    .transform((v) => v === true || v === '1' || v === 'true' || v === 'True').default(false),
  /**
   * OH_SANDBOX_SOCKET: the sandbox runner's unix socket. Set: every process of the agent (terminal tool, bash routes)
   * runs through it, in the sandbox container, and server-side file access refuses the server's own /proc, /sys and
   * secret files. Unset: processes are local children. See README "The sandbox".
   */
  sandboxSocket: nonEmpty.refine(isAbsolute, 'must be an absolute path').optional(),
});

export type Config = Readonly<z.infer<typeof ConfigSchema>>;

/** Where each field comes from, in precedence order; the first name present wins. Used in error messages. */
const SOURCES: Record<keyof z.infer<typeof ConfigSchema>, string[]> = {
  host: ['--host', 'AGENT_SERVER_HOST'],
  port: ['--port', 'AGENT_SERVER_PORT'],
  sessionApiKeys: ['OH_SESSION_API_KEYS', 'SESSION_API_KEY'],
  allowCorsOrigins: ['OH_ALLOW_CORS_ORIGINS'],
  conversationsPath: ['OH_CONVERSATIONS_PATH'],
  workspacePath: ['OH_WORKSPACE_PATH'],
  persistenceDir: ['OH_PERSISTENCE_DIR'],
  bashEventsDir: ['OH_BASH_EVENTS_DIR'],
  bashEventsRetentionSeconds: ['OH_BASH_EVENTS_RETENTION_SECONDS'],
  fileRoots: ['AGENT_SERVER_FILE_ROOTS'],
  maxUploadBytes: ['AGENT_SERVER_MAX_UPLOAD_BYTES'],
  maxJsonBytes: ['AGENT_SERVER_MAX_JSON_BYTES'],
  maxHeaderBytes: ['AGENT_SERVER_MAX_HEADER_BYTES'],
  bashChunkBytes: ['AGENT_SERVER_BASH_CHUNK_BYTES'],
  bashMaxOutputBytes: ['AGENT_SERVER_BASH_MAX_OUTPUT_BYTES'],
  bashFlushMs: ['AGENT_SERVER_BASH_FLUSH_MS'],
  bashKillGraceMs: ['AGENT_SERVER_BASH_KILL_GRACE_MS'],
  shutdownGraceMs: ['AGENT_SERVER_SHUTDOWN_GRACE_MS'],
  runtimeIdleTimeoutSeconds: ['OH_RUNTIME_IDLE_TIMEOUT_SECONDS'],
  buildGitSha: ['OPENHANDS_BUILD_GIT_SHA'],
  buildGitRef: ['OPENHANDS_BUILD_GIT_REF'],
  logLevel: ['LOG_LEVEL'],
  llmModel: ['LLM_MODEL'],
  llmApiKey: ['LLM_API_KEY'],
  llmBaseUrl: ['LLM_BASE_URL'],
  maxConcurrentRuns: ['OH_MAX_CONCURRENT_RUNS'],
  conversationIdleTtlSeconds: ['OH_CONVERSATION_IDLE_TTL_SECONDS'],
  maxMessageBytes: ['AGENT_SERVER_MAX_MESSAGE_BYTES'],
  wsMaxSubscribers: ['AGENT_SERVER_WS_MAX_SUBSCRIBERS'],
  wsMaxLagEvents: ['AGENT_SERVER_WS_MAX_LAG_EVENTS'],
  wsHighWaterBytes: ['AGENT_SERVER_WS_HIGH_WATER_BYTES'],
  wsPingMs: ['AGENT_SERVER_WS_PING_MS'],
  secretKey: ['OH_SECRET_KEY'],
  deferredInit: ['OH_DEFERRED_INIT'],
  sandboxSocket: ['OH_SANDBOX_SOCKET'],
  metricsPort: ['AGENT_SERVER_METRICS_PORT'],
  metricsPublic: ['AGENT_SERVER_METRICS_PUBLIC'],
};

const LIST_FIELDS = new Set(['sessionApiKeys', 'allowCorsOrigins', 'fileRoots']);
const FLAGS = new Set(['--host', '--port']);

/** Thrown by loadConfig; its message names every invalid setting. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

export interface ConfigInput {
  argv?: readonly string[];
  env?: Readonly<Record<string, string | undefined>>;
  /** Whether the process runs in a container (changes the default host). */
  inContainer?: boolean;
  /** Base for relative paths. Default process.cwd(). */
  cwd?: string;
}

function parseFlags(argv: readonly string[]): Map<string, string> {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    if (!FLAGS.has(name)) throw new ConfigError(`invalid configuration: unknown argument ${JSON.stringify(arg)} (flags: --host, --port)`);
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined) throw new ConfigError(`invalid configuration: ${name}: a value is required`);
    flags.set(name, value);
  }
  return flags;
}

/** An OpenHands list: a JSON list in NAME, or NAME_0, NAME_1, … (the indexed form wins when both are set). */
function readList(env: ConfigInput['env'] & object, name: string): { value: unknown; source: string } | undefined {
  const indexed: string[] = [];
  for (let i = 0; env[`${name}_${i}`] !== undefined; i++) indexed.push(env[`${name}_${i}`] as string);
  if (indexed.length > 0) return { value: indexed, source: `${name}_0..` };
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  try {
    return { value: JSON.parse(raw), source: name };
  } catch {
    return { value: raw, source: name }; // the schema then reports "expected array"
  }
}

/**
 * Parses flags and environment into a frozen Config. Throws ConfigError naming each invalid setting
 * (for example "AGENT_SERVER_PORT: Too big: expected number to be <=65535").
 */
export function loadConfig(input: ConfigInput = {}): Config {
  const env = input.env ?? {};
  const flags = parseFlags(input.argv ?? []);
  const raw: Record<string, unknown> = {};
  const usedSource: Record<string, string> = {};
  for (const [field, names] of Object.entries(SOURCES)) {
    if (LIST_FIELDS.has(field)) {
      const [primary, legacy] = names as [string, string | undefined];
      const list = readList(env, primary);
      if (list) {
        raw[field] = list.value;
        usedSource[field] = list.source;
      } else if (legacy && env[legacy]) {
        raw[field] = [env[legacy]];
        usedSource[field] = legacy;
      }
      continue;
    }
    for (const name of names) {
      const value = FLAGS.has(name) ? flags.get(name) : env[name];
      if (value !== undefined && value !== '') {
        raw[field] = value;
        usedSource[field] = name;
        break;
      }
    }
  }
  if (raw.host === undefined) {
    const keyed = Array.isArray(raw.sessionApiKeys) && raw.sessionApiKeys.length > 0;
    raw.host = input.inContainer || keyed ? '0.0.0.0' : '127.0.0.1';
  }
  const parsed = ConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const field = String(issue.path[0] ?? '');
      const setting = usedSource[field] ?? SOURCES[field as keyof typeof SOURCES]?.join(' / ') ?? field;
      const where = issue.path.length > 1 ? `[${issue.path.slice(1).join('.')}]` : '';
      return `${setting}${where}: ${issue.message}`;
    });
    throw new ConfigError(`invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  const cwd = input.cwd ?? process.cwd();
  const config = parsed.data;
  return Object.freeze({
    ...config,
    conversationsPath: resolve(cwd, config.conversationsPath),
    workspacePath: resolve(cwd, config.workspacePath),
    bashEventsDir: resolve(cwd, config.bashEventsDir),
    ...(config.persistenceDir ? { persistenceDir: resolve(cwd, config.persistenceDir) } : {}),
    sessionApiKeys: Object.freeze([...config.sessionApiKeys]) as string[],
    fileRoots: Object.freeze(config.fileRoots.map((root) => resolve(root))) as string[],
  });
}
