import { contentText, text } from '../events/content.js';
import type { ActionEvent } from '../events/action-event.js';
import { isToolResult, type LLMConvertibleEvent } from '../events/event.js';
import type { CompletionResponse, LLM } from '../llm/types.js';
import { viewToMessages, type View } from './view.js';

export interface CondensationPlan {
  forgottenEventIds: string[];
  summaryOffset: number;
  forgotten: LLMConvertibleEvent[];
}

/**
 * OpenHands' LLMSummarizingCondenser: once the view holds more than `maxSize` events (or a condensation was
 * requested), forget everything between the first `keepFirst` events and a tail that brings the view back to about
 * half of `maxSize`, and replace it with an LLM-written summary. Tool calls and their results are forgotten or kept
 * together, so the history the model sees stays valid.
 */
export class LLMSummarizingCondenser {
  constructor(
    readonly llm: LLM,
    readonly maxSize: number,
    readonly keepFirst: number,
  ) {}

  plan(view: View): CondensationPlan | null {
    const events = view.events;
    if (events.length <= this.maxSize && !view.condensationRequested) return null;
    const target = Math.floor(this.maxSize / 2);
    // A requested condensation below max_size keeps only the latest step after the head.
    const tail = events.length <= this.maxSize ? 1 : Math.max(1, target - this.keepFirst - 1);
    const head = Math.min(this.keepFirst, events.length);
    // The kept tail starts at a step boundary: never with a tool result, never inside a group of parallel calls,
    // so the latest results stay in view.
    let cut = events.length - tail;
    const sameGroup = (a: LLMConvertibleEvent | undefined, b: LLMConvertibleEvent | undefined) =>
      a?.kind === 'ActionEvent' && b?.kind === 'ActionEvent' && a.llm_response_id === b.llm_response_id;
    while (cut > head && (isToolResult(events[cut]) || sameGroup(events[cut - 1], events[cut]))) cut--;
    if (cut <= head) return null;
    const forgotten = new Set(events.slice(head, cut).map((e) => e.id));
    const actions = events.filter((e): e is ActionEvent => e.kind === 'ActionEvent');
    const forgottenResponses = new Set(actions.filter((a) => forgotten.has(a.id)).map((a) => a.llm_response_id));
    for (const a of actions) if (forgottenResponses.has(a.llm_response_id)) forgotten.add(a.id);
    const forgottenCalls = new Set(actions.filter((a) => forgotten.has(a.id)).map((a) => a.tool_call_id));
    const keptCalls = new Set(actions.filter((a) => !forgotten.has(a.id)).map((a) => a.tool_call_id));
    for (const e of events) {
      if (!isToolResult(e)) continue;
      if (forgottenCalls.has(e.tool_call_id)) forgotten.add(e.id);
      else if (keptCalls.has(e.tool_call_id)) forgotten.delete(e.id);
    }
    if (forgotten.size === 0) return null;
    return {
      forgottenEventIds: events.filter((e) => forgotten.has(e.id)).map((e) => e.id),
      forgotten: events.filter((e) => forgotten.has(e.id)),
      summaryOffset: head,
    };
  }

  /** Asks the LLM to summarize the forgotten events (and the previous summary). */
  async summarize(plan: CondensationPlan, previousSummary: string | null, signal?: AbortSignal): Promise<{ summary: string; response: CompletionResponse }> {
    const transcript = viewToMessages({ events: plan.forgotten, summary: null, condensationRequested: false })
      .map((m) => `[${m.role}${m.tool_calls?.length ? ` calls ${m.tool_calls.map((c) => `${c.name}(${c.arguments})`).join(', ')}` : ''}] ${contentText(m.content)}`)
      .join('\n');
    const prompt =
      'You are maintaining a context-aware state summary for an interactive coding agent. Summarize the events below so that the agent can continue its task: ' +
      'the user goals, progress so far, files changed, commands run and their outcomes, and what remains.\n\n' +
      (previousSummary ? `<PREVIOUS SUMMARY>\n${previousSummary}\n</PREVIOUS SUMMARY>\n\n` : '') +
      `<EVENTS>\n${transcript}\n</EVENTS>`;
    const response = await this.llm.complete({ messages: [{ role: 'user', content: [text(prompt)] }], tools: [], ...(signal ? { signal } : {}) });
    const summary = contentText(response.message.content).trim() || '(no summary)';
    return { summary, response };
  }
}
