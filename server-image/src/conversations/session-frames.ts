// The frames of WS /sockets/session/{conversation_id} (OpenHands 1.58.2 `session_protocol.py`): every frame is an
// envelope `{"type": …}`; a persisted event rides in a `durable` frame with its `seq` (its index in the log, the
// `{idx:05d}` of its file), an unpersisted one (a `full_state` snapshot) in a `transient` frame without one.
// Delivery rules, as OpenHands states them: a `durable` frame survives a reconnect through `after_seq`; `delta`s may
// be dropped; every `item_started` is retired by exactly one `durable` (whose `event.id` is the `item_id`) or one
// `item_aborted`; progress frames are never replayed. Frames are dumped with `exclude_none`, so absent optional
// fields are left out. Envelopes are open: clients ignore fields they do not know.
import type { Event } from '@agentworkspace/sdk';
import { z } from 'zod';
import { wireEvent } from './wire-event.js';

/** Largest frame the server sends; a bigger one drops the connection (1013 `frame_too_large`). */
export const MAX_FRAME_BYTES = 4 * 1024 * 1024;
/** Bytes a connection may have queued and not yet handed to its socket; over it, 1013 `slow_consumer`. */
export const MAX_PENDING_BYTES = 4 * MAX_FRAME_BYTES;

/** A seq as the client gave it: any integer, echoed exactly (OpenHands' is a Python int). */
const SeqSchema = z.union([z.number().int(), z.bigint()]);
const EventObjectSchema = z.looseObject({ kind: z.string(), id: z.string() });

export const SyncFrameSchema = z.looseObject({
  type: z.literal('sync'),
  /** The client's `after_seq`, the exclusive lower bound of the replay; absent when no history was asked for. */
  from_seq: SeqSchema.optional(),
  /** The highest seq in the log when the connection was set up; absent for an empty log. Above it is live. */
  through_seq: z.number().int().nonnegative().optional(),
});

export const DurableFrameSchema = z.looseObject({ type: z.literal('durable'), seq: z.number().int().nonnegative(), event: EventObjectSchema });
export const TransientFrameSchema = z.looseObject({ type: z.literal('transient'), event: EventObjectSchema });

export const ItemStartedFrameSchema = z.looseObject({
  type: z.literal('item_started'), item_id: z.string(), attempt: z.number().int().positive(), anchor_seq: z.number().int().optional(),
});
export const DeltaFrameSchema = z.looseObject({
  type: z.literal('delta'), item_id: z.string(), attempt: z.number().int().positive(), order: z.number().int().nonnegative(),
  kind: z.enum(['text', 'reasoning']), content: z.string(), chunk_id: z.string().optional(), choice_index: z.number().int().optional(),
});
export const ItemAbortedFrameSchema = z.looseObject({
  type: z.literal('item_aborted'), item_id: z.string(), attempt: z.number().int().positive(), reason: z.string(),
});

/** A problem with this socket (a client frame that could not be handled); never persisted. */
export const ErrorFrameSchema = z.looseObject({ type: z.literal('error'), code: z.string(), detail: z.string() });

export const SessionFrameSchema = z.discriminatedUnion('type', [
  SyncFrameSchema, DurableFrameSchema, TransientFrameSchema, ItemStartedFrameSchema, DeltaFrameSchema, ItemAbortedFrameSchema, ErrorFrameSchema,
]);
export type SessionFrame = z.infer<typeof SessionFrameSchema>;
export type ProgressFrame = z.infer<typeof ItemStartedFrameSchema> | z.infer<typeof DeltaFrameSchema> | z.infer<typeof ItemAbortedFrameSchema>;

export const syncFrame = (fromSeq: bigint | null, throughSeq: number | null): SessionFrame => ({
  type: 'sync', ...(fromSeq === null ? {} : { from_seq: fromSeq }), ...(throughSeq === null ? {} : { through_seq: throughSeq }),
});
export const durableFrame = (seq: number, event: Event): SessionFrame => ({ type: 'durable', seq, event: wireEvent(event) as { kind: string; id: string } });
export const transientFrame = (event: Event): SessionFrame => ({ type: 'transient', event: wireEvent(event) as { kind: string; id: string } });
export const errorFrame = (code: string, detail: string): SessionFrame => ({ type: 'error', code, detail });

/** JSON.rawJSON (Node ≥ 21): a bigint seq goes out as the exact integer it was. */
const rawJSON = (JSON as unknown as { rawJSON: (text: string) => unknown }).rawJSON;

/** The frame as it goes on the wire (undefined fields left out, a bigint written as its digits). */
export function encodeFrame(frame: SessionFrame): string {
  return JSON.stringify(frame, (_key, value: unknown) => (typeof value === 'bigint' ? rawJSON(value.toString()) : value));
}
