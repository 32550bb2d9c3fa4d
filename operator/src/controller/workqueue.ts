/**
 * A work queue of string keys with client-go's semantics:
 * - de-duplicating: a key added many times before a worker takes it is processed once;
 * - exclusive: a key being processed is never handed to a second worker; adding it meanwhile marks it
 *   dirty and it is queued again when the first worker calls `done`;
 * - delayed adds (`addAfter`) keep only the earliest pending time per key;
 * - per-key exponential backoff (`addRateLimited`), reset by `forget` after a success;
 * - `queuedAt(key)` of a key in flight: when it was queued (the wait a worker saw, for metrics and timelines).
 * Workers loop: `key = await get()` (undefined once shut down) → process → `done(key)`.
 */
import { realClock, type Clock } from './clock.js';

export interface WorkQueueOptions {
  /** First retry delay of a failing key. @default 5 */
  baseDelayMs?: number;
  /** Cap of the per-key exponential backoff. @default 300_000 (5 min: an invalid state is re-examined at least that often) */
  maxDelayMs?: number;
  /** @default realClock */
  clock?: Clock;
}

export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly waiting = new Map<string, { at: number; handle: unknown }>();
  private readonly failures = new Map<string, number>();
  /** When each dirty key was queued (its first add since it was last taken). */
  private readonly addedAt = new Map<string, number>();
  /** Of each key in flight: when it had been queued. */
  private readonly takenFrom = new Map<string, number>();
  private readonly waiters: Array<(key: string | undefined) => void> = [];
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly clock: Clock;
  private stopped = false;

  constructor(options: WorkQueueOptions = {}) {
    this.baseDelayMs = options.baseDelayMs ?? 5;
    this.maxDelayMs = options.maxDelayMs ?? 300_000;
    this.clock = options.clock ?? realClock;
  }

  /** Queues `key` now unless it is already queued; a key in flight is re-queued when it is done. */
  add(key: string): void {
    if (this.stopped || this.dirty.has(key)) return;
    this.dirty.add(key);
    this.addedAt.set(key, this.clock.now());
    if (this.processing.has(key)) return;
    this.push(key);
  }

  /** Queues `key` after `delayMs`; of several pending delays for one key the earliest wins. */
  addAfter(key: string, delayMs: number): void {
    if (this.stopped) return;
    if (delayMs <= 0) return this.add(key);
    const at = this.clock.now() + delayMs;
    const pending = this.waiting.get(key);
    if (pending && pending.at <= at) return;
    if (pending) this.clock.clearTimeout(pending.handle);
    const handle = this.clock.setTimeout(() => {
      this.waiting.delete(key);
      this.add(key);
    }, delayMs);
    this.waiting.set(key, { at, handle });
  }

  /** Queues `key` after its backoff: baseDelayMs · 2^(failures so far), capped at maxDelayMs. */
  addRateLimited(key: string): void {
    this.addAfter(key, this.backoffMs(key));
  }

  /** The delay `addRateLimited` would use now, and counts one more failure of `key`. */
  backoffMs(key: string): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    return Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** n);
  }

  /** Failures counted for `key` since the last `forget`. */
  numRequeues(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  /** Clears `key`'s backoff (call after it succeeded or was given up). */
  forget(key: string): void {
    this.failures.delete(key);
  }

  /** The next key, marked in flight; `undefined` once the queue is shut down. */
  get(): Promise<string | undefined> {
    if (this.stopped) return Promise.resolve(undefined);
    const key = this.queue.shift();
    if (key !== undefined) return Promise.resolve(this.take(key));
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** A worker is processing `key` now. */
  isProcessing(key: string): boolean {
    return this.processing.has(key);
  }

  /** When the in-flight `key` was queued (clock ms); undefined when it is not in flight. */
  queuedAt(key: string): number | undefined {
    return this.takenFrom.get(key);
  }

  /** Ends processing of `key`; if it was added meanwhile it is queued again. */
  done(key: string): void {
    this.processing.delete(key);
    this.takenFrom.delete(key);
    if (this.dirty.has(key) && !this.stopped) this.push(key);
  }

  /** Keys queued and not in flight (the depth metric). */
  len(): number {
    return this.queue.length;
  }

  /** Stops handing out keys: pending timers are cancelled and blocked `get` calls return undefined. */
  shutDown(): void {
    this.stopped = true;
    for (const { handle } of this.waiting.values()) this.clock.clearTimeout(handle);
    this.waiting.clear();
    for (const w of this.waiters.splice(0)) w(undefined);
  }

  private push(key: string): void {
    const waiter = this.waiters.shift();
    if (waiter) waiter(this.take(key));
    else this.queue.push(key);
  }

  private take(key: string): string {
    this.dirty.delete(key);
    this.processing.add(key);
    this.takenFrom.set(key, this.addedAt.get(key) ?? this.clock.now());
    this.addedAt.delete(key);
    return key;
  }
}
