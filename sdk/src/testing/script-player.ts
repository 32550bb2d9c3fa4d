import { randomUUID } from 'node:crypto';
import { contentText } from '../events/content.js';
import type { Message, MessageToolCall } from '../events/llm-message.js';
import { TITLE_SYSTEM_PROMPT } from '../conversation/title.js';
import { assistantMessage } from '../llm/types.js';
import { ScriptSchema, type Script, type ScriptInput, type ScriptTurn } from './script.js';

export type PlayResult =
  | { kind: 'error'; status: number; message: string; retryAfter?: number }
  | { kind: 'reply'; id: string; message: Message & { role: 'assistant' }; delayMs: number; usage: { prompt_tokens: number; completion_tokens: number } };

/** The signature of scripted thinking blocks (a real one is Anthropic's, checked by Anthropic only). */
export const SCRIPTED_SIGNATURE = 'scripted-signature';

/** A title request: its first message is the title system prompt (it has no tools). */
export function isTitleRequest(messages: readonly Message[]): boolean {
  const first = messages[0];
  return first?.role === 'system' && contentText(first.content) === TITLE_SYSTEM_PROMPT;
}

/** Thrown when a request breaks the script's expectations. */
export class ScriptViolation extends Error {
  override readonly name = 'ScriptViolation';
}

/**
 * Plays a script turn by turn and checks each request: every tool call in the history is followed by its result,
 * the tool calls of the previous reply are answered, and `expect_tool_result_contains` holds. Violations are kept in
 * `violations` (a test asserts it is empty) and thrown.
 */
export class ScriptPlayer {
  readonly script: Script;
  readonly violations: string[] = [];
  readonly requests: Message[][] = [];
  /** The title requests answered from `script.title` (not in `requests`; they take no turn). */
  readonly titleRequests: Message[][] = [];
  private readonly queue: ScriptTurn[];
  private position = 0;
  private lastCalls: MessageToolCall[] = [];

  constructor(script: Script | ScriptInput) {
    this.script = ScriptSchema.parse(script);
    this.queue = this.script.turns.flatMap((t) => Array.from({ length: t.repeat }, () => t));
  }

  get remaining(): number {
    return this.queue.length - this.position;
  }

  next(messages: readonly Message[]): PlayResult {
    if (isTitleRequest(messages)) return this.title(messages);
    this.requests.push([...messages]);
    this.check(messages);
    const turn = this.queue[this.position];
    if (!turn) this.fail(`script exhausted: request ${this.requests.length} came after all ${this.queue.length} turns were played`);
    this.position++;
    if (turn.error) {
      return { kind: 'error', status: turn.error.status, message: turn.error.message, ...(turn.error.retry_after !== undefined ? { retryAfter: turn.error.retry_after } : {}) };
    }
    const calls: MessageToolCall[] = (turn.tool_calls ?? []).map((c) => ({
      id: c.id ?? `call_${randomUUID().replaceAll('-', '').slice(0, 24)}`,
      name: c.name,
      arguments: typeof c.arguments === 'string' ? c.arguments : JSON.stringify(c.arguments),
      origin: 'completion',
    }));
    this.lastCalls = calls;
    const promptChars = messages.reduce((n, m) => n + contentText(m.content).length, 0);
    return {
      kind: 'reply',
      id: `scripted-${randomUUID()}`,
      message: assistantMessage(turn.text, calls, turn.thinking ? [{ type: 'thinking', thinking: turn.thinking, signature: SCRIPTED_SIGNATURE }] : []),
      delayMs: turn.delay_ms,
      usage: turn.usage ?? { prompt_tokens: Math.ceil(promptChars / 4), completion_tokens: Math.ceil(((turn.text?.length ?? 0) + JSON.stringify(calls).length) / 4) },
    };
  }

  private title(messages: readonly Message[]): PlayResult {
    this.titleRequests.push([...messages]);
    const t = this.script.title;
    if (typeof t !== 'string') return { kind: 'error', status: t.error.status, message: t.error.message };
    return { kind: 'reply', id: `scripted-title-${randomUUID()}`, message: assistantMessage(t, []), delayMs: 0, usage: { prompt_tokens: 1, completion_tokens: 1 } };
  }

  private fail(message: string): never {
    this.violations.push(message);
    throw new ScriptViolation(message);
  }

  private check(messages: readonly Message[]): void {
    const results = new Map<string, string>();
    messages.forEach((m) => { if (m.role === 'tool' && m.tool_call_id) results.set(m.tool_call_id, contentText(m.content)); });
    messages.forEach((m, i) => {
      for (const c of m.role === 'assistant' ? (m.tool_calls ?? []) : []) {
        const answered = messages.slice(i + 1).some((later) => later.role === 'tool' && later.tool_call_id === c.id);
        if (!answered) this.fail(`request ${this.requests.length}: tool call ${c.id} (${c.name}) has no tool result after it`);
      }
    });
    for (const c of this.lastCalls) {
      if (!results.has(c.id)) this.fail(`request ${this.requests.length}: the result of the previous turn's tool call ${c.id} (${c.name}) is missing`);
    }
    const expected = this.queue[this.position]?.expect_tool_result_contains;
    const pool = this.lastCalls.length ? this.lastCalls.map((c) => results.get(c.id) ?? '') : [...results.values()];
    if (expected !== undefined && !pool.some((r) => r.includes(expected))) {
      this.fail(`request ${this.requests.length}: no tool result contains ${JSON.stringify(expected)}`);
    }
  }
}
