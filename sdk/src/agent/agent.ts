import type { ActionEvent } from '../events/action-event.js';
import { SecurityRiskSchema, type SecurityRisk } from '../events/base.js';
import { contentText, text } from '../events/content.js';
import type { ErrorClassification } from '../events/error-classification.js';
import type { Event, EventInput } from '../events/event.js';
import type { MessageToolCall } from '../events/llm-message.js';
import { LLMError } from '../llm/errors.js';
import type { CompletionResponse, LLM } from '../llm/types.js';
import { extractSummary } from '../tools/action-summary.js';
import { toLLMTool, toToolDefinition, type Tool } from '../tools/tool.js';
import type { Action } from '../tools/kinds.js';
import type { ExecutionStatus } from '../conversation/state.js';
import type { AgentSpec } from './agent-spec.js';
import type { LLMSummarizingCondenser } from './condenser.js';
import { shouldConfirm, type ConfirmationPolicy } from './confirmation-policy.js';
import { StreamSlot, type StreamProgress } from './stream-slot.js';
import { defaultSystemPrompt } from './system-prompt.js';
import { buildView, viewToMessages } from './view.js';

/** What a step may read and do; the conversation provides it. */
export interface StepContext {
  events: readonly Event[];
  /** Appends an event (masked, persisted, published) and returns it complete. */
  emit<E extends EventInput>(event: E): Extract<Event, { kind: E['kind'] }>;
  setStatus(status: ExecutionStatus): void;
  recordUsage(llm: LLM, response: CompletionResponse): void;
  confirmationPolicy: ConfirmationPolicy;
  signal: AbortSignal;
  onDelta?: (delta: { content?: string; reasoning_content?: string }) => void;
  /** Stream progress (item_started, delta, item_aborted) of a streaming LLM; its presence mints the step's item id. */
  onProgress?: (progress: StreamProgress) => void;
  /** Masks the conversation's secrets in text. */
  mask?: (s: string) => string;
}

const NO_CONFIRM: ReadonlySet<string> = new Set(['FinishAction', 'ThinkAction']);

/** An expected failure the agent can correct (bad arguments, unknown tool), as OpenHands classifies it. */
const AGENT_OUTCOME: ErrorClassification = { kind: 'agent_action', retryable: true, user_action: 'retry' };

const CONTEXT_WINDOW = /context[ _-]?(length|window)|maximum context|prompt is too long|too many (input )?tokens/i;

function isContextWindowError(err: unknown): boolean {
  return err instanceof LLMError && err.code === 'LLMBadRequestError' && CONTEXT_WINDOW.test(err.message);
}

function isJsonObject(s: string): boolean {
  try {
    const v: unknown = JSON.parse(s);
    return typeof v === 'object' && v !== null && !Array.isArray(v);
  } catch {
    return false;
  }
}

/**
 * The agent: turns the history into an LLM call and the reply into actions. One `step` is one LLM call (plus, when
 * due, one condensation): tool calls become ActionEvents, then (unless they wait for confirmation) observations; a
 * reply without tool calls, or `finish`, ends the run.
 */
export class Agent {
  private readonly byName: Map<string, Tool>;

  constructor(
    readonly spec: AgentSpec,
    readonly tools: readonly Tool[],
    readonly llm: LLM,
    readonly condenser: LLMSummarizingCondenser | null,
    readonly workingDir: string,
  ) {
    this.byName = new Map(tools.map((t) => [t.name, t]));
  }

  systemPromptEvent(): EventInput {
    const base = this.spec.system_prompt ?? defaultSystemPrompt(this.workingDir);
    const suffix = this.spec.agent_context?.system_message_suffix;
    return {
      kind: 'SystemPromptEvent',
      system_prompt: text(suffix ? `${base}\n\n${suffix}` : base),
      tools: this.tools.map(toToolDefinition),
    };
  }

  /** Condenses when the view is too long or a condensation was requested; true when it did (that is the step). */
  async condense(ctx: StepContext): Promise<boolean> {
    if (!this.condenser) return false;
    const view = buildView(ctx.events);
    const plan = this.condenser.plan(view);
    if (!plan) return false;
    const { summary, response } = await this.condenser.summarize(plan, view.summary?.text ?? null, ctx.signal);
    ctx.recordUsage(this.condenser.llm, response);
    ctx.emit({ kind: 'Condensation', forgotten_event_ids: plan.forgottenEventIds, summary, summary_offset: plan.summaryOffset, llm_response_id: response.id });
    return true;
  }

  /**
   * One step: a condensation when due (as OpenHands, that is the whole step), else one LLM call and its actions. With
   * `ctx.onProgress` the step's stream slot is retired by its first event or aborted when the step ends without one.
   */
  async step(ctx: StepContext): Promise<void> {
    if (await this.condense(ctx)) return;
    const n = ctx.events.length;
    const slot = ctx.onProgress ? new StreamSlot(n ? n - 1 : null, ctx.onProgress, ctx.mask ?? ((s) => s)) : null;
    try {
      await this.callAndAct(ctx, slot);
      slot?.close('no_durable_event');
    } catch (err) {
      slot?.close(ctx.signal.aborted ? 'cancelled' : err instanceof Error ? err.name : 'Error');
      throw err;
    }
  }

  private async callAndAct(ctx: StepContext, slot: StreamSlot | null): Promise<void> {
    const view = buildView(ctx.events);
    /** Appends the step's first durable event under the slot's id (the id a client's open slot waits for). */
    const emitClaimed = <E extends EventInput>(event: E) => {
      const id = slot?.claim();
      const out = ctx.emit(id ? { ...event, id } : event);
      if (id) slot?.commit();
      return out;
    };
    const onDelta = ctx.onDelta || slot
      ? (d: { content?: string; reasoning_content?: string }) => {
        ctx.onDelta?.(d);
        slot?.onDelta(d);
      }
      : undefined;
    let response: CompletionResponse;
    try {
      // As OpenHands: every tool that is not read-only offers `security_risk`, whatever the policy.
      response = await this.llm.complete({
        messages: viewToMessages(view),
        tools: this.tools.map((t) => toLLMTool(t, !t.annotations.readOnlyHint)),
        signal: ctx.signal,
        ...(onDelta ? { onDelta } : {}),
      });
    } catch (err) {
      // As OpenHands: a context-window overflow asks the condenser to make room, when there is one.
      if (this.condenser && isContextWindowError(err)) {
        ctx.emit({ kind: 'CondensationRequest' });
        return;
      }
      throw err;
    }
    ctx.recordUsage(this.llm, response);
    const calls = response.message.tool_calls ?? [];
    if (calls.length === 0) {
      emitClaimed({ kind: 'MessageEvent', source: 'agent', llm_message: response.message, llm_response_id: response.id });
      ctx.setStatus('finished');
      return;
    }
    const thought = contentText(response.message.content);
    const actions: ActionEvent[] = [];
    calls.forEach((call, i) => {
      const first = i === 0;
      const common = {
        kind: 'ActionEvent' as const,
        thought: first && thought ? [text(thought)] : [],
        ...(first && response.message.reasoning_content ? { reasoning_content: response.message.reasoning_content } : {}),
        ...(first && response.message.thinking_blocks?.length ? { thinking_blocks: response.message.thinking_blocks } : {}),
        tool_name: call.name,
        tool_call_id: call.id,
        tool_call: call,
        llm_response_id: response.id,
      };
      const parsed = this.parseCall(call, ctx.confirmationPolicy.kind === 'ConfirmRisky');
      if ('error' in parsed) {
        // As OpenHands: unparsable arguments are replaced in the stored call by a JSON marker, so the history sent
        // back to any provider stays valid; the error event tells the model what was wrong.
        const stored = isJsonObject(call.arguments) ? call : { ...call, arguments: JSON.stringify({ _openhands_malformed_tool_call: true, error: parsed.error }) };
        emitClaimed({ ...common, tool_call: stored, action: null });
        ctx.emit({ kind: 'AgentErrorEvent', tool_name: call.name, tool_call_id: call.id, error: parsed.error, classification: AGENT_OUTCOME });
        return;
      }
      actions.push(emitClaimed({ ...common, action: parsed.action, security_risk: parsed.risk, summary: parsed.summary }));
    });
    if (actions.length === 0) return;
    const needsConfirmation = actions.some((a) => !NO_CONFIRM.has(a.action!.kind) && shouldConfirm(ctx.confirmationPolicy, a.security_risk));
    if (needsConfirmation) {
      ctx.setStatus('waiting_for_confirmation');
      return;
    }
    await this.execute(actions, ctx);
  }

  /** Runs actions in order; an interrupt stops before the next one. `finish` ends the run. */
  async execute(actions: readonly ActionEvent[], ctx: StepContext): Promise<void> {
    for (const a of actions) {
      if (ctx.signal.aborted) return;
      const tool = this.byName.get(a.tool_name);
      let observation;
      if (!tool || !a.action) {
        ctx.emit({ kind: 'AgentErrorEvent', tool_name: a.tool_name, tool_call_id: a.tool_call_id, error: `Tool '${a.tool_name}' is not available.`, classification: AGENT_OUTCOME });
        continue;
      }
      try {
        observation = await tool.execute(a.action, ctx.signal);
      } catch (err) {
        ctx.emit({
          kind: 'AgentErrorEvent', tool_name: a.tool_name, tool_call_id: a.tool_call_id,
          error: `Error executing tool '${a.tool_name}': ${err instanceof Error ? err.message : String(err)}`,
          classification: AGENT_OUTCOME,
        });
        continue;
      }
      ctx.emit({ kind: 'ObservationEvent', tool_name: a.tool_name, tool_call_id: a.tool_call_id, action_id: a.id, observation });
      if (a.action.kind === 'FinishAction') ctx.setStatus('finished');
    }
  }

  /**
   * The call's action. Its `security_risk` counts only for a tool that is not read-only and when risk is rated (the
   * ConfirmRisky policy, which stands for OpenHands' security analyzer); otherwise it is UNKNOWN, as there.
   */
  private parseCall(call: MessageToolCall, rated: boolean): { action: Action; risk: SecurityRisk; summary: string } | { error: string } {
    const tool = this.byName.get(call.name);
    if (!tool) return { error: `Tool '${call.name}' not found. Available: ${[...this.byName.keys()].join(', ')}` };
    let args: unknown;
    try {
      args = JSON.parse(call.arguments || '{}');
    } catch (err) {
      return { error: `Error validating args ${call.arguments} for tool '${call.name}': the arguments are not valid JSON (${(err as Error).message})` };
    }
    if (!args || typeof args !== 'object' || Array.isArray(args)) {
      return { error: `Error validating args ${call.arguments} for tool '${call.name}': expected a JSON object` };
    }
    const { security_risk: rawRisk, ...rest } = args as Record<string, unknown>;
    const risk = SecurityRiskSchema.safeParse(rawRisk);
    const summary = extractSummary(tool.name, rest);
    const r = tool.params.safeParse(rest);
    if (!r.success) {
      const issues = r.error.issues.map((i) => `${i.path.join('.') || '(arguments)'}: ${i.message}`).join('; ');
      return { error: `Error validating args ${call.arguments} for tool '${call.name}': ${issues}` };
    }
    const counted = rated && !tool.annotations.readOnlyHint && risk.success;
    return { action: { ...(r.data as object), kind: tool.actionKind } as Action, risk: counted ? risk.data : 'UNKNOWN', summary };
  }
}
