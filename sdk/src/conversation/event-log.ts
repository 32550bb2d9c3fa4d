import { ROOT_PARENT_ID } from '../events/base.js';
import type { Event } from '../events/event.js';
import { silentLogger, type Logger } from '../logger.js';
import { EventListeners, type EventListener } from './event-listeners.js';
import { writeEvent } from './persistence.js';

export type { EventListener } from './event-listeners.js';

/** State updates are not nodes of the event tree (OpenHands): they never become its head. */
const isTreeNode = (e: Event) => e.kind !== 'ConversationStateUpdateEvent';

/**
 * The append-only event log of one conversation. `append` writes the event file (when persistent) before any
 * subscriber sees the event, so a subscriber never sees an event a crash could lose. `publish` sends an event that
 * is not persisted (`full_state` snapshots). Subscriber errors are logged and isolated.
 *
 * As OpenHands 1.58.2's event tree (without `navigate`, so one branch): `append` stamps an event without a
 * `parent_id` with the head (`leafId`: the last event that is not a state update), `"__root__"` when only state
 * updates came before, or null for the first event.
 */
export class EventLog {
  private readonly items: Event[];
  private readonly byId = new Map<string, number>();
  private readonly listeners: EventListeners;
  private leaf: string | null;

  constructor(
    private readonly dir: string | null,
    initial: readonly Event[] = [],
    logger: Logger = silentLogger,
  ) {
    this.listeners = new EventListeners(logger);
    this.items = [...initial];
    this.items.forEach((e, i) => this.byId.set(e.id, i));
    this.leaf = this.items.findLast(isTreeNode)?.id ?? null;
  }

  /** The head of the event tree: the parent of the next event (OpenHands `leaf_event_id`). */
  get leafId(): string | null {
    return this.leaf;
  }

  get length(): number {
    return this.items.length;
  }

  all(): readonly Event[] {
    return this.items;
  }

  get(id: string): Event | undefined {
    const i = this.byId.get(id);
    return i === undefined ? undefined : this.items[i];
  }

  /** The position of an event (its on-disk index), or -1. */
  indexOf(id: string): number {
    return this.byId.get(id) ?? -1;
  }

  append(input: Event): Event {
    if (this.byId.has(input.id)) throw new Error(`duplicate event id ${input.id}`);
    const parent = this.leaf ?? (this.items.length ? ROOT_PARENT_ID : null);
    const event = input.parent_id == null ? { ...input, parent_id: parent } : input;
    if (isTreeNode(event)) this.leaf = event.id;
    const index = this.items.length;
    if (this.dir) writeEvent(this.dir, index, event);
    this.items.push(event);
    this.byId.set(event.id, index);
    this.publish(event);
    return event;
  }

  publish(event: Event): void {
    this.listeners.publish(event);
  }

  subscribe(listener: EventListener): () => void {
    return this.listeners.subscribe(listener);
  }
}
