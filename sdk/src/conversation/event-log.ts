import type { Event } from '../events/event.js';
import { silentLogger, type Logger } from '../logger.js';
import { EventListeners, type EventListener } from './event-listeners.js';
import { writeEvent } from './persistence.js';

export type { EventListener } from './event-listeners.js';

/**
 * The append-only event log of one conversation. `append` writes the event file (when persistent) before any
 * subscriber sees the event, so a subscriber never sees an event a crash could lose. `publish` sends an event that
 * is not persisted (`full_state` snapshots). Subscriber errors are logged and isolated.
 */
export class EventLog {
  private readonly items: Event[];
  private readonly byId = new Map<string, number>();
  private readonly listeners: EventListeners;

  constructor(
    private readonly dir: string | null,
    initial: readonly Event[] = [],
    logger: Logger = silentLogger,
  ) {
    this.listeners = new EventListeners(logger);
    this.items = [...initial];
    this.items.forEach((e, i) => this.byId.set(e.id, i));
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

  append(event: Event): Event {
    if (this.byId.has(event.id)) throw new Error(`duplicate event id ${event.id}`);
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
