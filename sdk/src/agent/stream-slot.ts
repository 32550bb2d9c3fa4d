import { randomUUID } from 'node:crypto';

/**
 * Stream progress of one agent step (OpenHands 1.58.2 `StreamStarted` / `StreamDelta` / `StreamAborted`), shaped as
 * the session socket's frames: `item_started` before the first token, `delta`s in `order`, and, when the step
 * produced no event carrying `item_id`, one `item_aborted`. Never persisted.
 */
export type StreamProgress =
  | { type: 'item_started'; item_id: string; attempt: number; anchor_seq?: number }
  | { type: 'delta'; item_id: string; attempt: number; order: number; kind: 'text' | 'reasoning'; content: string }
  | { type: 'item_aborted'; item_id: string; attempt: number; reason: string };

/**
 * One streaming slot (OpenHands `StreamContext`): mints the id the step's first durable event (its message, or its
 * first action) will carry, stamps the model's deltas, and closes once: retired by that event, or aborted. Only
 * one attempt: the adapters give no chunk ids to tell a re-streamed retry by.
 */
export class StreamSlot {
  readonly itemId = randomUUID();
  private order = 0;
  private opened = false;
  private reserved = false;
  private retired = false;

  /**
   * @param anchorSeq the seq the slot sits after (the log's last when the step began), null for an empty log
   * @param sink where progress goes; it must not throw
   * @param mask masks secrets in streamed text
   */
  constructor(private readonly anchorSeq: number | null, private readonly sink: (p: StreamProgress) => void, private readonly mask: (s: string) => string) {}

  /** Emits the deltas of one chunk (reasoning before text, as OpenHands splits a chunk). */
  onDelta(delta: { content?: string; reasoning_content?: string }): void {
    for (const [kind, raw] of [['reasoning', delta.reasoning_content], ['text', delta.content]] as const) {
      if (!raw) continue;
      if (!this.opened) {
        this.opened = true;
        this.sink({ type: 'item_started', item_id: this.itemId, attempt: 1, ...(this.anchorSeq === null ? {} : { anchor_seq: this.anchorSeq }) });
      }
      this.sink({ type: 'delta', item_id: this.itemId, attempt: 1, order: this.order++, kind, content: this.mask(raw) });
    }
  }

  /** The id for the durable event being built; undefined once taken (a second event keeps its own). */
  claim(): string | undefined {
    if (this.reserved) return undefined;
    this.reserved = true;
    return this.itemId;
  }

  /** The event carrying the id was appended: the slot is retired. */
  commit(): void {
    if (this.reserved) this.retired = true;
  }

  /** Aborts the slot unless it was retired or never streamed (`no_durable_event`, `cancelled`, or an error's name). */
  close(reason: string): void {
    if (!this.opened || this.retired) return;
    this.retired = true;
    this.sink({ type: 'item_aborted', item_id: this.itemId, attempt: 1, reason });
  }
}
