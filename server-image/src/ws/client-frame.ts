// A client's frame on a server socket: JSON text that the route's schema accepts. A repeated
// `{"type":"auth",…}` frame (clients may send it on every connect) is not a message and is ignored.
import type { RawData } from 'ws';
import type { z } from 'zod';
import { tooDeep, tooDeepMessage } from '../http/json-depth.js';
import { isAuthControlMessage } from './auth.js';

/** The frame's message, or the error the route answers with (the socket stays open); null for an auth frame. */
export type ClientFrame<T> =
  | { ok: true; data: T }
  | { ok: false; code: 'JSONDecodeError' | 'ValidationError'; detail: string }
  | null;

/** Parses one frame with `schema`; a validation error names each field, or `root` for the frame as a whole. */
export function parseClientFrame<S extends z.ZodType>(raw: RawData, isBinary: boolean, schema: S, root: string): ClientFrame<z.output<S>> {
  let data: unknown;
  try {
    data = JSON.parse(isBinary ? '' : raw.toString());
  } catch (err) {
    return { ok: false, code: 'JSONDecodeError', detail: (err as Error).message };
  }
  if (isAuthControlMessage(data)) return null;
  const deep = tooDeep(data);
  if (deep) return { ok: false, code: 'ValidationError', detail: `${deep.join('.') || root}: ${tooDeepMessage}` };
  const parsed = schema.safeParse(data);
  if (!parsed.success) {
    return { ok: false, code: 'ValidationError', detail: parsed.error.issues.map((i) => `${i.path.join('.') || root}: ${i.message}`).join('; ') };
  }
  return { ok: true, data: parsed.data };
}
