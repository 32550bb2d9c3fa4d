// The request contracts of the conversations API (OpenHands conversation_router / event_router), one zod
// schema each. Unknown request fields are ignored, as OpenHands does (clients send tool_module_qualnames,
// agent_definitions, stuck_detection_thresholds, sender, …). The agent spec itself is validated by the
// SDK's AgentSpecSchema after server-side credentials are applied (service.ts).
import { isAbsolute } from 'node:path';
import { ConfirmationPolicySchema, ContentSchema, ConversationSettingsSchema, ExecutionStatusSchema, SecretsSchema } from '@agentworkspace/sdk';
import { z } from 'zod';

const UUID_DASHED = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const UUID_HEX = /^[0-9a-f]{32}$/i;

/** A conversation id as OpenHands accepts it (dashed or 32-hex), normalized to the dashed lower-case form. */
export function normalizeConversationId(raw: string): string | undefined {
  if (UUID_DASHED.test(raw)) return raw.toLowerCase();
  if (UUID_HEX.test(raw)) {
    const h = raw.toLowerCase();
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }
  return undefined;
}

export const ConversationIdSchema = z.string().transform((value, ctx) => {
  const id = normalizeConversationId(value);
  if (!id) {
    ctx.addIssue({ code: 'custom', message: 'Input should be a valid UUID' });
    return z.NEVER;
  }
  return id;
});

/**
 * The workspace of a new conversation. Both dialects: the Python client's `{"kind":"LocalWorkspace",
 * "working_dir"}` and the TS client's `{"type":"local","working_dir"}`; a bare `{working_dir}` too.
 */
const WorkspaceRequestSchema = z.object({
  kind: z.literal('LocalWorkspace', { error: 'Only LocalWorkspace is supported (the server runs the agent in its own filesystem)' }).optional(),
  type: z.literal('local', { error: "Only the 'local' workspace type is supported" }).optional(),
  working_dir: z.string().min(1).refine((p) => !p.includes('\0'), 'must not contain NUL bytes').refine(isAbsolute, 'must be an absolute path'),
}).transform((w) => ({ kind: 'LocalWorkspace' as const, working_dir: w.working_dir }));

/** `SendMessageRequest`: only `role: "user"` is accepted (OpenHands fails any other role with a 500). */
export const SendMessageRequestSchema = z.object({
  role: z.literal('user', { error: "Only role 'user' can be sent to a conversation" }).default('user'),
  content: z.array(ContentSchema).default([]),
  run: z.boolean().default(false),
});
export type SendMessageRequest = z.infer<typeof SendMessageRequestSchema>;

/** A message frame on the events socket: an LLM `Message` from the user (always runs). */
export const SocketMessageSchema = SendMessageRequestSchema.omit({ run: true });

/** The security analyzers this server can honour: none, or the LLM's own risk rating of each action. */
export const SecurityAnalyzerSchema = z.object({
  kind: z.literal('LLMSecurityAnalyzer', { error: 'Unsupported security analyzer (supported: LLMSecurityAnalyzer, or null)' }),
}).nullable();
export type SecurityAnalyzer = z.infer<typeof SecurityAnalyzerSchema>;

const TagsSchema = z.record(
  z.string().regex(/^[a-z0-9]+$/, 'tag keys must be lowercase alphanumeric'),
  z.string().max(256),
);

/**
 * The protocol's secret forms: a plain string, `{"value": "..."}`, or a `StaticSecret`. A secret named `__proto__` is
 * refused by name: a JavaScript record cannot hold it (zod's record drops the key without a word), so accepting it
 * would report success for a secret that is not kept.
 */
const SecretsInputSchema = z.preprocess((value, ctx) => {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return value;
  if (Object.hasOwn(value, '__proto__')) ctx.addIssue({ code: 'custom', path: ['__proto__'], message: 'secret name __proto__ is reserved', input: value });
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k,
    v && typeof v === 'object' && !Array.isArray(v) && !('kind' in v) && 'value' in v ? { kind: 'StaticSecret', value: (v as { value: unknown }).value } : v]));
}, SecretsSchema);

/** `StartConversationRequest` (protocol §6.1), minus what this server does not implement (rejected clearly). */
export const StartConversationRequestSchema = z.object({
  agent: z.unknown().refine((a) => a !== undefined && a !== null, 'Field required (agent_settings and agent_profile_id are not supported by this server)'),
  workspace: WorkspaceRequestSchema,
  conversation_id: ConversationIdSchema.nullish(),
  // The SDK's settings, defaults included (one place for them).
  confirmation_policy: ConversationSettingsSchema.shape.confirmation_policy,
  security_analyzer: SecurityAnalyzerSchema.default(null),
  initial_message: SendMessageRequestSchema.nullish(),
  max_iterations: ConversationSettingsSchema.shape.max_iterations,
  stuck_detection: ConversationSettingsSchema.shape.stuck_detection,
  secrets: SecretsInputSchema.default({}),
  secrets_encrypted: z.literal(false, { error: 'Encrypted secrets are not supported by this server' }).default(false),
  worktree: z.literal(false, { error: 'Git worktrees are not supported by this server' }).default(false),
  client_tools: z.array(z.unknown()).max(0, 'client_tools are not supported by this server').default([]),
  tags: TagsSchema.default({}),
  /** Tool name → the Python module that registers it; sent back in ConversationInfo for the client's attach. */
  tool_module_qualnames: z.record(z.string(), z.string()).default({}),
  /** Title the conversation from its first user message (the agent's model, else the message cut to 50). */
  autotitle: z.boolean().default(true),
  /** An LLM profile (OH_PERSISTENCE_DIR/profiles/<name>.json) to title with instead of the agent's model. */
  title_llm_profile: z.string().nullish().transform((v) => v ?? null),
});
export type StartConversationRequest = z.infer<typeof StartConversationRequestSchema>;

export const UpdateConversationRequestSchema = z.object({
  title: z.string().min(1).max(200).nullish(),
  tags: TagsSchema.nullish(),
});

/** `ForkConversationRequest`. */
export const ForkRequestSchema = z.object({
  id: ConversationIdSchema.nullish(),
  title: z.string().min(1).max(200).nullish(),
  tags: TagsSchema.nullish(),
  reset_metrics: z.boolean().default(true),
  from_event_id: z.string().min(1).nullish(),
});
export type ForkRequest = z.infer<typeof ForkRequestSchema>;

export const UpdateSecretsRequestSchema = z.object({ secrets: SecretsInputSchema });
export const SetConfirmationPolicyRequestSchema = z.object({ policy: ConfirmationPolicySchema });
export const SetSecurityAnalyzerRequestSchema = z.object({ security_analyzer: SecurityAnalyzerSchema });
export const AskAgentRequestSchema = z.object({ question: z.string().min(1).max(100_000) });
export const ConfirmationResponseRequestSchema = z.object({
  accept: z.boolean(),
  reason: z.string().max(10_000).default('User rejected the action.'),
});

const limit = z.coerce.number().int().gt(0).lte(100).default(100);
const includeSkills = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1').optional();
/** `include_skills` alone, for the routes whose other parameters are in the path or body. */
export const IncludeSkillsQuerySchema = z.object({ include_skills: includeSkills });

const ConversationSortOrderSchema = z.enum(['CREATED_AT', 'UPDATED_AT', 'CREATED_AT_DESC', 'UPDATED_AT_DESC']);
export type ConversationSortOrder = z.infer<typeof ConversationSortOrderSchema>;

export const ConversationSearchQuerySchema = z.object({
  page_id: z.string().optional(),
  limit,
  status: ExecutionStatusSchema.optional(),
  sort_order: ConversationSortOrderSchema.default('CREATED_AT_DESC'),
  include_skills: includeSkills,
});

export const ConversationCountQuerySchema = z.object({ status: ExecutionStatusSchema.optional() });

export const BatchGetQuerySchema = z.object({
  ids: z.preprocess((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]), z.array(z.string()).max(99, 'at most 99 ids per request')),
  include_skills: includeSkills,
});

/**
 * A datetime query parameter, as the naive local ISO string events carry ("2026-08-22T16:34:54.123456").
 * A timezone-aware value is converted to server-local time first (OpenHands' rule); the result is compared
 * with event timestamps as a string.
 */
export const NaiveTimestampSchema = z.string().transform((value, ctx) => {
  const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?$/i.exec(value.trim());
  if (!m) {
    ctx.addIssue({ code: 'custom', message: 'Input should be a valid datetime' });
    return z.NEVER;
  }
  const [, date, hh, mm, ss = '00', frac = '', zone] = m as unknown as [string, string, string, string, string?, string?, string?];
  const micros = frac.padEnd(6, '0').slice(0, 6);
  if (!zone) return `${date}T${hh}:${mm}:${ss}.${micros}`;
  const at = new Date(`${date}T${hh}:${mm}:${ss}.${micros.slice(0, 3)}${zone.toUpperCase() === 'Z' ? 'Z' : zone.length === 5 ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone}`);
  if (Number.isNaN(at.getTime())) {
    ctx.addIssue({ code: 'custom', message: 'Input should be a valid datetime' });
    return z.NEVER;
  }
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${at.getFullYear()}-${p(at.getMonth() + 1)}-${p(at.getDate())}T${p(at.getHours())}:${p(at.getMinutes())}:${p(at.getSeconds())}.${p(at.getMilliseconds(), 3)}${micros.slice(3)}`;
});

const eventFilters = {
  kind: z.string().min(1).optional(),
  source: z.enum(['agent', 'user', 'environment', 'hook']).optional(),
  body: z.string().optional(),
  timestamp__gte: NaiveTimestampSchema.optional(),
  timestamp__lt: NaiveTimestampSchema.optional(),
};

export const EventSearchQuerySchema = z.object({
  ...eventFilters,
  page_id: z.string().optional(),
  limit,
  sort_order: z.enum(['TIMESTAMP', 'TIMESTAMP_DESC']).default('TIMESTAMP'),
});
export type EventSearchQuery = z.infer<typeof EventSearchQuerySchema>;

export const EventCountQuerySchema = z.object(eventFilters);
export type EventCountQuery = z.infer<typeof EventCountQuerySchema>;

export const EventBatchBodySchema = z.array(z.string()).max(100, 'at most 100 ids per request');

/** The events socket's query: replay all past events, or those at or after `after_timestamp`. */
export const EventsSocketQuerySchema = z.object({
  resend_mode: z.enum(['all', 'since']).optional(),
  resend_all: z.enum(['true', 'false', '1', '0']).optional(),
  after_timestamp: NaiveTimestampSchema.optional(),
}).transform((q, ctx) => {
  const mode = q.resend_mode ?? (q.resend_all === 'true' || q.resend_all === '1' ? 'all' : undefined);
  if (mode === 'since' && q.after_timestamp === undefined) {
    ctx.addIssue({ code: 'custom', path: ['after_timestamp'], message: "required when resend_mode is 'since'" });
    return z.NEVER;
  }
  return mode === 'all' ? { replay: 'all' as const } : mode === 'since' ? { replay: 'since' as const, after: q.after_timestamp as string } : { replay: 'none' as const };
});

/**
 * The session socket's path id as FastAPI's UUID parameter takes it (pydantic): hyphenated, simple, `{braced}` or
 * `urn:uuid:` form, normalized; anything else is refused at the handshake.
 */
export const SessionConversationIdSchema = z.string().transform((raw, ctx) => {
  const inner = /^\{(.*)\}$/.exec(raw)?.[1] ?? /^urn:uuid:(.*)$/i.exec(raw)?.[1] ?? raw;
  const id = normalizeConversationId(inner);
  if (!id) {
    ctx.addIssue({ code: 'custom', message: 'Input should be a valid UUID' });
    return z.NEVER;
  }
  return id;
});

/** An integer as pydantic parses one from a string: blanks around, a sign, `_` between digits, a `.0` fraction. */
const PYTHON_INT = /^[+-]?\d+(?:_\d+)*(?:\.0*)?$/;

/** The session socket's query: `after_seq`, the resume cursor (omitted: live only; -1: the whole log). */
export const SessionSocketQuerySchema = z.object({
  after_seq: z.string().transform((raw, ctx) => {
    const s = raw.trim();
    if (!PYTHON_INT.test(s)) {
      ctx.addIssue({ code: 'custom', message: 'Input should be a valid integer, unable to parse string as an integer' });
      return z.NEVER;
    }
    return BigInt(s.replace(/\.0*$/, '').replaceAll('_', '').replace(/^\+/, ''));
  }).optional(),
});
