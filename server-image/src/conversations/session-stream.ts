// One subscriber of WS /sockets/session/{id}, as OpenHands 1.58.2's session socket: it subscribes first (buffering
// live events), then reads the mark (`through_seq`: the last seq in the log), sends the `sync` frame, replays the
// log above `after_seq` from memory, and goes live: the buffered events follow, less those the replay already sent
// (deduped by seq, and only when a replay ran), then every event as it is published. The `full_state` snapshot of
// the moment of subscribing is the first buffered event, so it follows the replay as a `transient` frame.
//
// Frames go to a sink that admits without blocking and is byte-bounded (ws/session-writer.ts); a frame it refuses
// ends the stream. Stream progress of a streaming LLM (item_started, delta, item_aborted) passes straight through:
// it is neither buffered nor replayed.
import { FULL_STATE_KEY, makeEvent, type Event } from '@agentworkspace/sdk';
import type { ConversationListener, HostedConversation } from './hosted-conversation.js';
import { durableFrame, syncFrame, transientFrame, type ProgressFrame, type SessionFrame } from './session-frames.js';

/** Where frames go: `send` admits one frame without blocking, false once the connection is done. */
export interface FrameSink {
  send(frame: SessionFrame): boolean;
}

export interface SessionStreamOptions {
  hosted: HostedConversation;
  sink: FrameSink;
  /** The client's resume cursor: everything with a greater seq is replayed; null: live only. */
  afterSeq: bigint | null;
  /** The `full_state` value at this moment. */
  snapshot: () => Record<string, unknown>;
  onClosed: (reason: 'deleted' | 'shutdown') => void;
}

/** Lets the socket's writer run between replayed frames (OpenHands yields once per frame, `asyncio.sleep(0)`). */
const yieldToIO = () => new Promise<void>((resolve) => setImmediate(resolve));

export class SessionStream {
  private buffer: Event[] | null = [];
  private unsubscribe: (() => void) | null = null;
  private stopped = false;
  private initialSnapshotId: string | null = null;

  constructor(private readonly o: SessionStreamOptions) {}

  /** Runs the stream up to live delivery (the conversation must be loaded); false when the sink gave up on the way. */
  async start(): Promise<boolean> {
    const { hosted, sink, afterSeq } = this.o;
    const listener: ConversationListener = {
      event: (event) => this.onEvent(event),
      delta: () => undefined, // StreamingDeltaEvents are the legacy socket's; this one has progress frames
      progress: (frame) => this.onProgress(frame),
      closed: (reason) => {
        this.stop();
        this.o.onClosed(reason);
      },
    };
    this.unsubscribe = hosted.subscribe(listener);
    const initial = makeEvent({ kind: 'ConversationStateUpdateEvent', key: FULL_STATE_KEY, value: this.o.snapshot() });
    this.initialSnapshotId = initial.id;
    this.buffer?.push(initial);
    const length = hosted.events().length;
    const throughSeq = length ? length - 1 : null;
    if (!sink.send(syncFrame(afterSeq, throughSeq))) return this.refused();
    let replayed = false;
    if (afterSeq !== null && throughSeq !== null) {
      const start = afterSeq + 1n > 0n ? afterSeq + 1n : 0n;
      for (let seq = start; seq <= BigInt(throughSeq); seq++) {
        const event = hosted.events()[Number(seq)] as Event;
        if (this.stopped) return false;
        if (!sink.send(durableFrame(Number(seq), event))) return this.refused();
        await yieldToIO();
      }
      replayed = true;
    }
    if (this.stopped) return false;
    this.goLive(replayed ? throughSeq : null);
    return !this.stopped;
  }

  private refused(): false {
    this.stop();
    return false;
  }

  stop(): void {
    this.stopped = true;
    this.buffer = null;
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  private goLive(throughSeq: number | null): void {
    const buffered = this.buffer ?? [];
    this.buffer = null;
    for (const event of buffered) {
      const seq = this.o.hosted.seqOf(event.id);
      if (seq !== undefined && throughSeq !== null && seq <= throughSeq) continue; // replayed from the log
      if (!this.emit(event)) return;
    }
  }

  private onEvent(event: Event): void {
    if (this.stopped) return;
    if (this.buffer) this.buffer.push(event);
    else this.emit(event);
  }

  private onProgress(frame: ProgressFrame): void {
    if (this.stopped) return;
    if (!this.o.sink.send(frame)) this.stop();
  }

  /**
   * A persisted event as `durable` with its seq; anything else as `transient`. A live `full_state` snapshot carries
   * the server's view of the state (as the legacy socket's), taken now; the one of subscribing was taken then.
   */
  private emit(event: Event): boolean {
    const seq = this.o.hosted.seqOf(event.id);
    let frame: SessionFrame;
    if (seq !== undefined) frame = durableFrame(seq, event);
    else if (event.kind === 'ConversationStateUpdateEvent' && event.key === FULL_STATE_KEY && event.id !== this.initialSnapshotId) {
      frame = transientFrame({ ...event, value: this.o.snapshot() });
    } else frame = transientFrame(event);
    if (this.o.sink.send(frame)) return true;
    this.stop();
    return false;
  }
}
