// Byte-bounded, non-blocking admission in front of one socket (OpenHands 1.58.2 `_ConnectionWriter`). `send` never
// waits: it runs in the conversation's fan-out, which must not wait for any one client. Admitted frames queue here
// and go to the socket while it has less than `highWaterBytes` not yet flushed (the flow control uvicorn applies);
// a frame over `maxFrameBytes`, or one that would put more than `maxPendingBytes` in the queue, drops the connection
// instead of a frame: a reconnect with `after_seq` loses nothing, a dropped durable frame would break the guarantee.
import type { WebSocket } from 'ws';
import { encodeFrame, MAX_FRAME_BYTES, MAX_PENDING_BYTES, type SessionFrame } from '../conversations/session-frames.js';
import type { FrameSink } from '../conversations/session-stream.js';

/** asyncio's default write-buffer high-water mark, which uvicorn's flow control pauses at. */
const HIGH_WATER_BYTES = 64 * 1024;

/** Why a connection was dropped; `slow_consumer` and `frame_too_large` are the close reasons (1013). */
export type DropReason = 'frame_too_large' | 'slow_consumer' | 'disconnected' | 'closing';

export interface SessionWriterOptions {
  /** @default MAX_FRAME_BYTES (4 MiB) */
  maxFrameBytes?: number;
  /** @default MAX_PENDING_BYTES (16 MiB) */
  maxPendingBytes?: number;
  /** @default 64 KiB */
  highWaterBytes?: number;
  /** Called once, when the writer gives up (after which every `send` is false). */
  onDrop?: (reason: DropReason, detail: { size: number; pending: number }) => void;
}

export class SessionWriter implements FrameSink {
  private readonly queue: { payload: string; size: number }[] = [];
  private pending = 0;
  private unflushed = 0;
  private reason: DropReason | null = null;
  private readonly maxFrame: number;
  private readonly maxPending: number;
  private readonly highWater: number;

  constructor(private readonly socket: WebSocket, private readonly opts: SessionWriterOptions = {}) {
    this.maxFrame = opts.maxFrameBytes ?? MAX_FRAME_BYTES;
    this.maxPending = opts.maxPendingBytes ?? MAX_PENDING_BYTES;
    this.highWater = opts.highWaterBytes ?? HIGH_WATER_BYTES;
    socket.once('close', () => this.fail('disconnected', 0));
  }

  get dropReason(): DropReason | null {
    return this.reason;
  }

  get closed(): boolean {
    return this.reason !== null;
  }

  /** Admits one frame without waiting; false when the connection is done (now or before). */
  send(frame: SessionFrame): boolean {
    if (this.reason) return false;
    const payload = encodeFrame(frame);
    const size = Buffer.byteLength(payload);
    if (size > this.maxFrame) return this.fail('frame_too_large', size);
    if (this.pending + size > this.maxPending) return this.fail('slow_consumer', size);
    this.queue.push({ payload, size });
    this.pending += size;
    this.pump();
    return true;
  }

  /** Stops the writer (the socket is being closed for another reason). */
  close(): void {
    this.fail('closing', 0);
  }

  private fail(reason: DropReason, size: number): false {
    if (!this.reason) {
      this.reason = reason;
      this.queue.length = 0;
      this.opts.onDrop?.(reason, { size, pending: this.pending });
      this.pending = 0;
    }
    return false;
  }

  private pump(): void {
    while (!this.reason && this.queue.length && this.unflushed < this.highWater) {
      if (this.socket.readyState !== this.socket.OPEN) {
        this.fail('disconnected', 0);
        return;
      }
      const { payload, size } = this.queue.shift() as { payload: string; size: number };
      this.pending -= size;
      this.unflushed += size;
      this.socket.send(payload, (err) => {
        this.unflushed -= size;
        if (err) this.fail('disconnected', 0);
        else this.pump();
      });
    }
  }
}
