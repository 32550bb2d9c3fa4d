// Delivery of the recorded bash events to one socket reader, with bounded memory whatever the reader's speed
// (as conversations/event-stream.ts does for conversation events).
//
// Nothing is queued per reader: the stream keeps a cursor (the file name of the last event sent) into the
// store, which is an append-only log in file-name order (BashService records events one at a time, in the
// order they were created), and sends from it while less than `highWaterBytes` are in flight. A reader that
// stops reading costs its cursor and at most one event beyond the high-water mark; when it reads again it
// resumes from the cursor. While a reader keeps up, live events go out as they are recorded, without
// reading them back.
import type { Logger } from '../log.js';
import { type BashEvent, eventFileName } from './events.js';
import type { BashEventStore } from './store.js';

/** File names read per directory listing. */
const PAGE = 100;

export interface BashEventStreamOptions {
  store: BashEventStore;
  /** Send events whose file names sort after this: '' replays everything; a file stamp of now, only new events. */
  after: string;
  /** Sends one text frame; `done` is called once it has left the process (or failed). */
  send: (frame: string, done: (err?: Error) => void) => void;
  highWaterBytes: number;
  log: Logger;
  /** The store could not be read: delivery has stopped. */
  onFailed: () => void;
}

export class BashEventStream {
  private cursor: string;
  private inflight = 0;
  /** True while every recorded event up to now has been sent (or skipped as before the cursor). */
  private caughtUp: boolean;
  private reading = false;
  /** Something was recorded while a page was being read: read again before calling it caught up. */
  private recordedWhileReading = false;
  private stopped = false;

  constructor(private readonly o: BashEventStreamOptions) {
    this.cursor = o.after;
    this.caughtUp = o.after !== '';
  }

  /** Starts delivery (the replay, when asked). */
  start(): void {
    this.pump();
  }

  stop(): void {
    this.stopped = true;
  }

  /** Called with each event as it is recorded, in recording order. */
  onEvent(event: BashEvent): void {
    if (this.stopped) return;
    if (this.reading) {
      this.recordedWhileReading = true;
      return;
    }
    if (this.caughtUp && this.inflight < this.o.highWaterBytes) {
      const name = eventFileName(event);
      if (name > this.cursor) {
        this.cursor = name;
        this.write(JSON.stringify(event));
      }
      return;
    }
    // Behind: the event stays on disk until the reader has room for it.
    this.caughtUp = false;
    this.pump();
  }

  private write(frame: string): void {
    const bytes = Buffer.byteLength(frame);
    this.inflight += bytes;
    this.o.send(frame, () => {
      this.inflight -= bytes;
      if (!this.caughtUp) this.pump();
    });
  }

  private pump(): void {
    if (this.stopped || this.reading || this.caughtUp || this.inflight >= this.o.highWaterBytes) return;
    this.reading = true;
    this.recordedWhileReading = false;
    void this.readPage()
      .catch((err: unknown) => {
        this.o.log.warn({ err }, 'bash events could not be read for a socket');
        this.stop();
        this.o.onFailed();
      })
      .finally(() => {
        this.reading = false;
        if (this.recordedWhileReading) this.caughtUp = false;
        this.pump();
      });
  }

  /** Sends from the cursor while there is room; marks the stream caught up when the log is exhausted. */
  private async readPage(): Promise<void> {
    const names = await this.o.store.namesAfter(this.cursor, PAGE);
    for (const name of names) {
      if (this.stopped || this.inflight >= this.o.highWaterBytes) return;
      const event = await this.o.store.read(name);
      this.cursor = name;
      if (event && !this.stopped) this.write(JSON.stringify(event));
    }
    if (names.length < PAGE) this.caughtUp = true;
  }
}
