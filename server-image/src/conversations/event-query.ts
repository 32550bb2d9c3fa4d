// Event search and count over one conversation's append-only log (OpenHands event_router): filters by
// kind (bare "MessageEvent" or module-qualified "openhands.sdk.event.llm_convertible.message.MessageEvent"),
// source, message body and naive-timestamp range; pages with an inclusive cursor (`next_page_id` is the id
// of the first event of the next page; an unknown cursor restarts from the beginning).
import { contentText, type Event } from '@agentworkspace/sdk';
import type { EventCountQuery, EventSearchQuery } from './requests.js';

/** `openhands.sdk.event.llm_convertible.message.MessageEvent` → `MessageEvent`. */
function bareKind(kind: string): string {
  const dot = kind.lastIndexOf('.');
  return dot >= 0 ? kind.slice(dot + 1) : kind;
}

function messageText(event: Event): string {
  if (event.kind !== 'MessageEvent') return '';
  const parts = [contentText(event.llm_message.content), contentText(event.extended_content), event.llm_message.reasoning_content ?? ''];
  return parts.join('\n');
}

/** The predicate of the filters of `query`. */
function eventFilter(query: EventCountQuery): (event: Event) => boolean {
  const kind = query.kind !== undefined ? bareKind(query.kind) : undefined;
  const body = query.body?.toLowerCase();
  return (event) => {
    if (kind !== undefined && event.kind !== kind) return false;
    if (query.source !== undefined && event.source !== query.source) return false;
    if (query.timestamp__gte !== undefined && event.timestamp < query.timestamp__gte) return false;
    if (query.timestamp__lt !== undefined && event.timestamp >= query.timestamp__lt) return false;
    if (body !== undefined && !messageText(event).toLowerCase().includes(body)) return false;
    return true;
  };
}

export function countEvents(events: readonly Event[], query: EventCountQuery): number {
  const keep = eventFilter(query);
  let n = 0;
  for (const e of events) if (keep(e)) n++;
  return n;
}

/** One page of matching events, in log order (or reversed), starting at `page_id` when it names a match. */
export function searchEvents(events: readonly Event[], query: EventSearchQuery): { items: Event[]; next_page_id: string | null } {
  const keep = eventFilter(query);
  const descending = query.sort_order === 'TIMESTAMP_DESC';
  const n = events.length;
  const at = (i: number) => events[descending ? n - 1 - i : i] as Event;
  let start = 0;
  if (query.page_id !== undefined) {
    for (let i = 0; i < n; i++) {
      if (at(i).id === query.page_id) {
        start = i;
        break;
      }
    }
  }
  const items: Event[] = [];
  for (let i = start; i < n; i++) {
    const e = at(i);
    if (!keep(e)) continue;
    if (items.length === query.limit) return { items, next_page_id: e.id };
    items.push(e);
  }
  return { items, next_page_id: null };
}
