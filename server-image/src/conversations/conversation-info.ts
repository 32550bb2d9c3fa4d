// What the server shows of a conversation: OpenHands `ConversationState` (the WebSocket `full_state`
// value) and `ConversationInfo` (REST). Both are projections through explicit field lists, because the
// Python client validates them with `extra="forbid"` models: whatever the agent core adds to its own state
// dump never reaches the wire unless it is listed here. Secrets never do: API keys are "**********" (the
// SDK's redaction) and secret values are dropped, as the official schema wants.

/** Fields of OpenHands `Agent` (AgentOutput). */
const AGENT_FIELDS = [
  'kind', 'llm', 'tools', 'mcp_config', 'filter_tools_regex', 'include_default_tools', 'agent_context', 'system_prompt',
  'system_prompt_filename', 'security_policy_filename', 'system_prompt_kwargs', 'condenser', 'critic', 'tool_concurrency_limit',
] as const;

/** Fields of OpenHands `LLM` (LlmOutput) that the agent core knows. */
const LLM_FIELDS = [
  'model', 'api_key', 'base_url', 'api_version', 'usage_id', 'temperature', 'top_p', 'top_k', 'max_input_tokens', 'max_output_tokens',
  'timeout', 'num_retries', 'retry_multiplier', 'retry_min_wait', 'retry_max_wait', 'stream', 'extra_headers', 'input_cost_per_token',
  'output_cost_per_token', 'native_tool_calling', 'reasoning_effort', 'drop_params', 'modify_params', 'caching_prompt', 'seed',
] as const;

const AGENT_CONTEXT_FIELDS = [
  'skills', 'system_message_suffix', 'user_message_suffix', 'load_user_skills', 'load_public_skills', 'load_project_skills',
  'load_memory', 'disabled_skills', 'secrets', 'current_datetime', 'marketplace_path',
] as const;

const CONDENSER_FIELDS = ['kind', 'llm', 'max_size', 'keep_first'] as const;

/** `ConversationState` fields sent in `full_state` (protocol §5.4, minus leaf/head bookkeeping we do not keep). */
const STATE_FIELDS = [
  'id', 'agent', 'workspace', 'persistence_dir', 'max_iterations', 'stuck_detection', 'execution_status', 'confirmation_policy',
  'security_analyzer', 'activated_knowledge_skills', 'invoked_skills', 'blocked_actions', 'blocked_messages', 'last_user_message_id',
  'leaf_event_id', 'stats', 'secret_registry', 'tags', 'agent_state',
] as const;

type Json = Record<string, unknown>;

const isRecord = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function pick(source: Json, fields: readonly string[]): Json {
  const out: Json = {};
  for (const f of fields) if (source[f] !== undefined && source[f] !== null) out[f] = source[f];
  return out;
}

function llmView(llm: unknown): Json {
  const l = isRecord(llm) ? pick(llm, LLM_FIELDS) : {};
  return { ...l, is_subscription: false };
}

/** The agent as OpenHands shows it: known fields only, the LLMs redacted, skills trimmed unless asked for. */
function agentView(agent: unknown, includeSkills = false): Json {
  if (!isRecord(agent)) return { kind: 'Agent', llm: llmView({}) };
  const out = pick(agent, AGENT_FIELDS);
  out.kind = 'Agent';
  out.llm = llmView(agent.llm);
  if (isRecord(agent.agent_context)) {
    const ctx = pick(agent.agent_context, AGENT_CONTEXT_FIELDS);
    if (!includeSkills) ctx.skills = [];
    out.agent_context = ctx;
  }
  if (isRecord(agent.condenser)) {
    const c = pick(agent.condenser, CONDENSER_FIELDS);
    if (c.llm !== undefined) c.llm = llmView(c.llm);
    out.condenser = c;
  }
  return out;
}

function secretRegistryView(registry: unknown): Json {
  const sources = isRecord(registry) && isRecord(registry.secret_sources) ? registry.secret_sources : {};
  return {
    secret_sources: Object.fromEntries(Object.keys(sources).map((name) => [name, { kind: 'StaticSecret' }])),
  };
}

/** Server-kept facts about a conversation that the agent core does not hold. */
export interface ServerMeta {
  title: string | null;
  tags: Record<string, string>;
  security_analyzer: { kind: 'LLMSecurityAnalyzer' } | null;
  created_at: string;
  updated_at: string;
  /** Set on forks: where they came from. */
  forked_from_conversation_id?: string | null | undefined;
  forked_from_event_id?: string | null | undefined;
  /** What the client sent at creation (tool name → Python module), echoed for its attach. */
  tool_module_qualnames?: Record<string, string> | undefined;
  /** Whether a user message titles the conversation while it has no title (default true; not in ConversationInfo). */
  autotitle?: boolean | undefined;
  /** The LLM profile the autotitle uses instead of the agent's model (not in ConversationInfo). */
  title_llm_profile?: string | null | undefined;
}

/** The `full_state` value: the core's state dump, projected, with the server's own fields applied. */
export function stateView(dump: Json, meta: ServerMeta, includeSkills = false): Json {
  const out = pick(dump, STATE_FIELDS);
  out.agent = agentView(dump.agent, includeSkills);
  const workspace = isRecord(dump.workspace) ? dump.workspace : {};
  out.workspace = { kind: 'LocalWorkspace', working_dir: String(workspace.working_dir ?? '') };
  out.secret_registry = secretRegistryView(dump.secret_registry);
  out.tags = meta.tags;
  out.security_analyzer = meta.security_analyzer;
  for (const [field, empty] of [['activated_knowledge_skills', []], ['invoked_skills', []], ['blocked_actions', {}], ['blocked_messages', {}], ['agent_state', {}], ['stats', { usage_to_metrics: {} }]] as const) {
    if (out[field] === undefined) out[field] = empty;
  }
  return out;
}

/** Combined metrics over every LLM of the conversation (OpenHands' `metrics` snapshot). */
function metricsView(stats: unknown): Json | null {
  const usage = isRecord(stats) && isRecord(stats.usage_to_metrics) ? Object.values(stats.usage_to_metrics) : [];
  if (usage.length === 0) return null;
  const tokens = { prompt_tokens: 0, completion_tokens: 0, cache_read_tokens: 0, cache_write_tokens: 0, reasoning_tokens: 0 };
  let cost = 0;
  let model = '';
  for (const m of usage) {
    if (!isRecord(m)) continue;
    cost += typeof m.accumulated_cost === 'number' ? m.accumulated_cost : 0;
    if (!model && typeof m.model_name === 'string') model = m.model_name;
    const t = isRecord(m.accumulated_token_usage) ? m.accumulated_token_usage : {};
    for (const k of Object.keys(tokens) as (keyof typeof tokens)[]) tokens[k] += typeof t[k] === 'number' ? t[k] : 0;
  }
  return { model_name: model || 'default', accumulated_cost: cost, accumulated_token_usage: { model: model || 'default', ...tokens } };
}

/**
 * `ConversationInfo`: the state plus title, metrics and timestamps, with every field of OpenHands 1.58.2's model
 * (it is sent without dropping nulls). Features this server does not have keep their empty values: client tools,
 * hooks, runtime info, ACP models, agent profiles, sub-conversations. `leaf_event_id` is the event tree's head (one branch: no `navigate`).
 */
export function infoView(dump: Json, meta: ServerMeta, includeSkills = false): Json {
  const state = stateView(dump, meta, includeSkills);
  return {
    ...state,
    last_user_message_id: state.last_user_message_id ?? null,
    title: meta.title,
    metrics: metricsView(state.stats),
    created_at: meta.created_at,
    updated_at: meta.updated_at,
    tool_module_qualnames: meta.tool_module_qualnames ?? {},
    client_tools: [],
    runtime_info: null,
    leaf_event_id: state.leaf_event_id ?? null,
    hook_config: null,
    parent_conversation_id: null,
    forked_from_conversation_id: meta.forked_from_conversation_id ?? null,
    forked_from_event_id: meta.forked_from_event_id ?? null,
    sub_conversation_ids: [],
    available_models: [],
    current_model_id: null,
    supports_runtime_model_switch: false,
    launched_agent_profile: null,
  };
}
