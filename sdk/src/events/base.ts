import { z } from 'zod';

export const EventSourceSchema = z.enum(['agent', 'user', 'environment', 'hook']);
export type EventSource = z.infer<typeof EventSourceSchema>;

export const SecurityRiskSchema = z.enum(['UNKNOWN', 'LOW', 'MEDIUM', 'HIGH']);
export type SecurityRisk = z.infer<typeof SecurityRiskSchema>;

/** `"__root__"` is OpenHands' reserved parent sentinel; no event id may take it. */
export const ROOT_PARENT_ID = '__root__';

/**
 * A new event id: uuid4 with dashes, as OpenHands' `Event.id` default. The Web Crypto global (Node and browsers
 * alike) keeps the event model free of Node built-ins, so the remote client can parse events in a browser.
 */
export function newEventId(): string {
  return globalThis.crypto.randomUUID();
}

/**
 * Naive local time with microseconds and no zone, e.g. "2026-08-22T16:34:54.123456", the format OpenHands
 * compares as strings when filtering. JavaScript clocks give milliseconds; the last three digits come from the
 * high-resolution clock (`performance.now()`, Node and browsers) so that events made in the same millisecond
 * still sort in creation order.
 */
let lastStamp = '';
export function naiveTimestamp(date: Date = new Date()): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const micros = Math.floor(performance.now() * 1000) % 1000;
  let stamp =
    `${date.getFullYear()}-${p(date.getMonth() + 1)}-${p(date.getDate())}T` +
    `${p(date.getHours())}:${p(date.getMinutes())}:${p(date.getSeconds())}.` +
    `${p(date.getMilliseconds(), 3)}${p(micros, 3)}`;
  if (stamp <= lastStamp) stamp = bumpMicro(lastStamp);
  lastStamp = stamp;
  return stamp;
}

function bumpMicro(stamp: string): string {
  const dot = stamp.lastIndexOf('.');
  const frac = Number(stamp.slice(dot + 1)) + 1;
  if (frac >= 1_000_000) return stamp; // a later wall second is always larger; never happens within one ms
  return `${stamp.slice(0, dot + 1)}${String(frac).padStart(6, '0')}`;
}

export const NAIVE_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}$/;

/** Fields every OpenHands event carries. `source` gets a per-kind default. */
export function baseFields<S extends EventSource>(source: S) {
  return {
    id: z.string().refine((v) => v !== ROOT_PARENT_ID, 'event id may not be "__root__"').default(() => newEventId()),
    timestamp: z.string().default(() => naiveTimestamp()),
    source: EventSourceSchema.default(source),
    parent_id: z.string().nullish(),
  };
}
