import type { ActionEvent } from '../events/action-event.js';
import { contentText, text } from '../events/content.js';
import type { Condensation } from '../events/condensation.js';
import { isLLMConvertible, isToolResult, type Event, type LLMConvertibleEvent } from '../events/event.js';
import type { Message } from '../events/llm-message.js';

/**
 * What the model sees: the LLM-convertible events minus those every `Condensation` forgot, with the latest summary
 * standing in at its `summary_offset`.
 */
export interface View {
  events: LLMConvertibleEvent[];
  /** The latest condensation's summary and where it goes, if any. */
  summary: { text: string; offset: number } | null;
  /** A `CondensationRequest` came after the latest condensation. */
  condensationRequested: boolean;
}

export function buildView(events: readonly Event[]): View {
  const forgotten = new Set<string>();
  let latest: Condensation | null = null;
  let requested = false;
  for (const e of events) {
    if (e.kind === 'Condensation') {
      e.forgotten_event_ids.forEach((id) => forgotten.add(id));
      latest = e;
      requested = false;
    } else if (e.kind === 'CondensationRequest') requested = true;
  }
  const kept = events.filter((e): e is LLMConvertibleEvent => isLLMConvertible(e) && !forgotten.has(e.id));
  const summary = latest?.summary != null ? { text: latest.summary, offset: latest.summary_offset ?? 0 } : null;
  return { events: kept, summary, condensationRequested: requested };
}

function observationMessage(toolCallId: string, name: string, body: string): Message {
  return { role: 'tool', content: [text(body)], tool_call_id: toolCallId, name };
}

/** The view as LLM messages: parallel ActionEvents of one response form one assistant message. */
export function viewToMessages(view: View): Message[] {
  const out: Message[] = [];
  const events = view.events;
  const push = (m: Message) => out.push(m);
  const summary: Message | null = view.summary && { role: 'user', content: [text(`Summary of the earlier conversation:\n${view.summary.text}`)] };
  const summaryAt = view.summary?.offset ?? -1;
  for (let i = 0; i < events.length; i++) {
    if (summary && i === summaryAt) push(summary);
    const e = events[i]!;
    switch (e.kind) {
      case 'SystemPromptEvent':
        push({ role: 'system', content: [text(e.system_prompt.text + (e.dynamic_context ? `\n\n${e.dynamic_context.text}` : ''))] });
        break;
      case 'MessageEvent':
        push({ ...e.llm_message, content: [...e.llm_message.content, ...e.extended_content] });
        break;
      case 'ActionEvent': {
        const group: ActionEvent[] = [e];
        while (events[i + 1]?.kind === 'ActionEvent' && (events[i + 1] as ActionEvent).llm_response_id === e.llm_response_id) group.push(events[++i] as ActionEvent);
        push({
          role: 'assistant',
          content: e.thought.length ? [text(contentText(e.thought))] : [],
          tool_calls: group.map((a) => a.tool_call),
          ...(e.reasoning_content ? { reasoning_content: e.reasoning_content } : {}),
          ...(e.thinking_blocks.length ? { thinking_blocks: e.thinking_blocks } : {}),
        });
        break;
      }
      case 'ObservationEvent':
        push(observationMessage(e.tool_call_id, e.tool_name, contentText(e.observation.content)));
        break;
      case 'AgentErrorEvent':
        push(observationMessage(e.tool_call_id, e.tool_name, e.error));
        break;
      case 'UserRejectObservation':
        push(observationMessage(e.tool_call_id, e.tool_name, `Action rejected by the ${e.rejection_source}: ${e.rejection_reason}`));
        break;
      case 'CondensationSummaryEvent':
        push({ role: 'user', content: [text(e.summary)] });
        break;
    }
  }
  if (summary && summaryAt >= events.length) push(summary);
  return out;
}

/** ActionEvents with an executable action and no result yet (waiting for confirmation, or cut off by a crash). */
export function unresolvedActions(events: readonly Event[]): ActionEvent[] {
  const resolved = new Set<string>();
  for (const e of events) {
    if (isToolResult(e)) resolved.add(e.tool_call_id);
  }
  return events.filter((e): e is ActionEvent => e.kind === 'ActionEvent' && !resolved.has(e.tool_call_id) && e.action != null);
}
