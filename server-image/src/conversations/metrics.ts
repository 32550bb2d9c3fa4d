// Prometheus metrics of the conversations, on the server's registry: catalog size (loaded or not), runs
// in progress, event-socket subscribers (read at scrape time), and events appended.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { ConversationService } from './service.js';

export function instrumentConversations(service: ConversationService, registry: Registry): void {
  new Gauge({
    name: 'agent_server_conversations', help: 'Conversations in the catalog, by whether they are loaded in memory.',
    labelNames: ['loaded'], registers: [registry],
    collect() {
      const s = service.stats();
      this.set({ loaded: 'true' }, s.loaded);
      this.set({ loaded: 'false' }, s.total - s.loaded);
    },
  });
  new Gauge({
    name: 'agent_server_conversation_runs', help: 'Conversations whose agent is running now.', registers: [registry],
    collect() {
      this.set(service.runningCount);
    },
  });
  new Gauge({
    name: 'agent_server_conversation_subscribers', help: 'Event-socket subscribers over all conversations.', registers: [registry],
    collect() {
      this.set(service.stats().subscribers);
    },
  });
  const events = new Counter({ name: 'agent_server_conversation_events_total', help: 'Events appended (persisted) over all conversations.', registers: [registry] });
  service.onEventPersisted(() => events.inc());
}
