import type { Event } from '../events/event.js';
import type { Logger } from '../logger.js';

export type EventListener = (event: Event) => void;

/** A conversation's subscribers: each sees every published event; one that throws is logged and the rest still run. */
export class EventListeners {
  private readonly listeners = new Set<EventListener>();

  constructor(private readonly logger: Logger) {}

  publish(event: Event): void {
    for (const l of [...this.listeners]) {
      try {
        l(event);
      } catch (err) {
        this.logger.warn({ err: err instanceof Error ? err.message : String(err), event_kind: event.kind }, 'event subscriber threw');
      }
    }
  }

  /** Adds `listener`; returns the function that removes it. */
  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
