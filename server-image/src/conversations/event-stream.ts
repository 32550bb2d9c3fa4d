// Delivery of one conversation's events to one subscriber, with bounded memory whatever the subscriber's
// speed.
//
// Persisted events are not copied into a per-subscriber queue: the stream keeps a cursor into the
// conversation's append-only log and sends from it while less than `highWaterBytes` are in flight, so a
// slow reader costs nothing but its cursor, the agent never waits for it, and other subscribers are not
// affected. The only queued frames are non-persisted ones — `full_state` snapshots and streaming token
// deltas — each tagged with the log length at publication so it is sent after exactly the events that
// preceded it; deltas are hints and are dropped when the queue is full. A subscriber that falls more than
// `maxLagEvents` behind the live log, or lets snapshots pile up, is dropped with
// `onTooSlow` (the socket closes with 1013, which clients retry; they catch up with a replay).
import { FULL_STATE_KEY, makeEvent, naiveTimestamp, newEventId, type Event } from '@agentworkspace/sdk';
import type { ConversationListener, HostedConversation } from './hosted-conversation.js';
import { wireEvent } from './wire-event.js';

/** Frames stay under the Python client's 1 MiB message limit. */
const MAX_FRAME_BYTES = 1024 * 1024 - 1024;

export type Replay = { replay: 'none' } | { replay: 'all' } | { replay: 'since'; after: string };

export interface EventStreamOptions {
  hosted: HostedConversation;
  replay: Replay;
  /** The `full_state` value at this moment. */
  snapshot: () => Record<string, unknown>;
  /** Sends one text frame; `done` is called once it has left the process (or failed). */
  send: (frame: string, done: (err?: Error) => void) => void;
  highWaterBytes: number;
  maxLagEvents: number;
  maxPendingSnapshots: number;
  onTooSlow: (why: string) => void;
  onClosed: (reason: 'deleted' | 'shutdown') => void;
}

function serverError(code: string, detail: string): Record<string, unknown> {
  return { kind: 'ServerErrorEvent', id: newEventId(), timestamp: naiveTimestamp(), source: 'environment', code, detail };
}

/** A `ServerErrorEvent` frame (sent for client frames the server could not handle). */
export function serverErrorFrame(code: string, detail: string): string {
  return JSON.stringify(serverError(code, detail));
}

export class EventStream {
  private next = 0;
  private liveFrom = 0;
  private inflight = 0;
  private readonly snapshots: { at: number; frame: string }[] = [];
  private unsubscribe: (() => void) | null = null;
  private stopped = false;

  constructor(private readonly o: EventStreamOptions) {}

  /** Subscribes, sends the full-state frame, then the replay (if asked) and live events. The conversation must be loaded. */
  start(): void {
    const listener: ConversationListener = {
      event: (event, persisted) => this.onEvent(event, persisted),
      delta: (frame) => this.onDelta(frame),
      closed: (reason) => {
        this.stop();
        this.o.onClosed(reason);
      },
    };
    this.unsubscribe = this.o.hosted.subscribe(listener);
    const length = this.o.hosted.events().length;
    this.liveFrom = length;
    this.next = this.o.replay.replay === 'none' ? length : 0;
    this.write(this.snapshotFrame());
    this.pump();
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  private snapshotFrame(): string {
    const event = makeEvent({ kind: 'ConversationStateUpdateEvent', key: FULL_STATE_KEY, value: this.o.snapshot() });
    let frame = JSON.stringify(wireEvent(event));
    if (Buffer.byteLength(frame) > MAX_FRAME_BYTES) {
      // Too large a state (huge stats): the status alone still tells the client where the run stands.
      const status = (event.value as { execution_status?: unknown }).execution_status;
      frame = JSON.stringify(wireEvent(makeEvent({ kind: 'ConversationStateUpdateEvent', key: 'execution_status', value: status })));
    }
    return frame;
  }

  private eventFrame(event: Event): string {
    const frame = JSON.stringify(wireEvent(event));
    if (Buffer.byteLength(frame) <= MAX_FRAME_BYTES) return frame;
    return JSON.stringify(serverError('EventTooLarge',
      `Event ${event.id} (${event.kind}) is over the 1 MiB frame limit; fetch it with GET /api/conversations/${this.o.hosted.id}/events/${event.id}`));
  }

  private onEvent(event: Event, persisted: boolean): void {
    if (this.stopped) return;
    if (!persisted) {
      if (event.kind !== 'ConversationStateUpdateEvent' || event.key !== FULL_STATE_KEY) return;
      if (this.snapshots.length >= this.o.maxPendingSnapshots) return this.tooSlow(`${this.snapshots.length} state snapshots pending`);
      this.snapshots.push({ at: this.o.hosted.events().length, frame: this.snapshotFrame() });
    } else {
      const lag = this.o.hosted.events().length - Math.max(this.next, this.liveFrom);
      if (lag > this.o.maxLagEvents) return this.tooSlow(`${lag} events behind`);
    }
    this.pump();
  }

  private onDelta(frame: Record<string, unknown>): void {
    if (this.stopped) return;
    if (this.snapshots.length >= this.o.maxPendingSnapshots) return; // a hint, not worth waiting for
    this.snapshots.push({ at: this.o.hosted.events().length, frame: JSON.stringify(frame) });
    this.pump();
  }

  private tooSlow(why: string): void {
    this.stop();
    this.o.onTooSlow(why);
  }

  private write(frame: string): void {
    const bytes = Buffer.byteLength(frame);
    this.inflight += bytes;
    this.o.send(frame, () => {
      this.inflight -= bytes;
      this.pump();
    });
  }

  private pump(): void {
    const { replay } = this.o;
    while (!this.stopped && this.inflight < this.o.highWaterBytes) {
      const head = this.snapshots[0];
      if (head && head.at <= this.next) {
        this.snapshots.shift();
        this.write(head.frame);
        continue;
      }
      const events = this.o.hosted.events();
      if (this.next >= events.length) {
        if (head) {
          // A snapshot can only be ahead of the log if events were replaced underneath; send it now.
          this.snapshots.shift();
          this.write(head.frame);
          continue;
        }
        return;
      }
      const index = this.next++;
      const event = events[index] as Event;
      if (index < this.liveFrom && replay.replay === 'since' && event.timestamp < replay.after) continue;
      this.write(this.eventFrame(event));
    }
  }
}
