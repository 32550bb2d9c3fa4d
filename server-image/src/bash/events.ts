// Bash events on the wire and on disk (OpenHands `BashCommand`, `BashOutput`, `BashError`), the request
// that starts a command, and the event clock.
//
// Ids are 32-hex UUIDs. Timestamps are UTC ISO strings with microseconds ("…T12:00:00.123456Z"); the
// clock is strictly increasing within the process so that file names, which begin with the timestamp,
// sort in emission order even for bursts within one microsecond.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';

/**
 * Largest command, in bytes of UTF-8: it is one argument of `bash -c`, and Linux refuses a single argument of
 * 128 KiB or more (MAX_ARG_STRLEN, its terminating NUL included) with E2BIG.
 */
export const MAX_COMMAND_BYTES = 128 * 1024 - 1;

const noNul = (s: string) => !s.includes('\0');

/** OpenHands `ExecuteBashRequest`. Unknown fields are ignored, as pydantic does. */
export const ExecuteBashRequestSchema = z.object({
  command: z.string()
    .refine(noNul, 'Command must not contain NUL bytes')
    .refine((s) => Buffer.byteLength(s) <= MAX_COMMAND_BYTES, `Command must be at most ${MAX_COMMAND_BYTES} bytes`),
  cwd: z.string().refine(noNul, 'cwd must not contain NUL bytes').nullable().optional(),
  // Any integer, as OpenHands takes it (zero or less times out at once); bounded above by what a timer can wait.
  timeout: z.number().int().max(2_000_000).default(300),
});
export type ExecuteBashRequest = z.output<typeof ExecuteBashRequestSchema>;

export interface BashCommand {
  kind: 'BashCommand';
  id: string;
  timestamp: string;
  command: string;
  cwd: string | null;
  timeout: number;
}

export interface BashOutput {
  kind: 'BashOutput';
  id: string;
  timestamp: string;
  command_id: string;
  order: number;
  /** null while the command runs; the last chunk carries it; -1 on timeout or error. */
  exit_code: number | null;
  stdout: string | null;
  stderr: string | null;
}

/** Sent only over the bash WebSocket, when a client frame cannot be handled. */
export interface BashError {
  kind: 'BashError';
  id: string;
  timestamp: string;
  code: string;
  detail: string;
}

export type BashEvent = BashCommand | BashOutput;

/** Parses a stored event file's JSON; undefined when it is not a bash event. */
export const StoredBashEventSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('BashCommand'), id: z.string(), timestamp: z.string(), command: z.string(),
    cwd: z.string().nullable(), timeout: z.number(),
  }),
  z.object({
    kind: z.literal('BashOutput'), id: z.string(), timestamp: z.string(), command_id: z.string(), order: z.number(),
    exit_code: z.number().nullable(), stdout: z.string().nullable(), stderr: z.string().nullable(),
  }),
]);

/** A fresh 32-hex id. */
export function hexId(): string {
  return randomUUID().replaceAll('-', '');
}

/** Accepts a UUID dashed or as 32 hex digits and returns the hex form; undefined if it is not a UUID. */
export function toHexUuid(value: string): string | undefined {
  const hex = value.replaceAll('-', '').toLowerCase();
  if (!/^[0-9a-f]{32}$/.test(hex)) return undefined;
  if (value.includes('-') && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value)) return undefined;
  return hex;
}

const wallStartMicros = BigInt(Date.now()) * 1000n;
const hrStart = process.hrtime.bigint();
let lastMicros = 0n;

/** Microseconds since the epoch: the wall clock at start plus monotonic time, strictly increasing. */
export function nowMicros(): bigint {
  let now = wallStartMicros + (process.hrtime.bigint() - hrStart) / 1000n;
  if (now <= lastMicros) now = lastMicros + 1n;
  lastMicros = now;
  return now;
}

/** "2026-01-02T03:04:05.678901Z" */
export function isoFromMicros(micros: bigint): string {
  const ms = Number(micros / 1000n);
  const fraction = (micros % 1_000_000n).toString().padStart(6, '0');
  return new Date(ms).toISOString().slice(0, 19) + '.' + fraction + 'Z';
}

/** "20260102030405678901": the file-name prefix, which sorts as the timestamp does. */
export function fileStampFromMicros(micros: bigint): string {
  const iso = isoFromMicros(micros);
  return iso.slice(0, 4) + iso.slice(5, 7) + iso.slice(8, 10) + iso.slice(11, 13) + iso.slice(14, 16) + iso.slice(17, 19) + iso.slice(20, 26);
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/** Parses an ISO 8601 date-time (naive values are UTC) to epoch microseconds; undefined if malformed. */
export function microsFromIso(value: string): bigint | undefined {
  const m = ISO.exec(value.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s = '00', frac = '', zone = 'Z'] = m;
  const base = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s}${zone.toUpperCase() === 'Z' ? 'Z' : zone}`);
  if (Number.isNaN(base)) return undefined;
  return BigInt(base) * 1000n + BigInt((frac + '000000').slice(0, 6));
}

/** Stored file name: `<stamp>_<Kind>[_<commandHex>]_<eventHex>`, as the OpenHands server names it. */
export function eventFileName(event: BashEvent): string {
  const micros = microsFromIso(event.timestamp) ?? 0n;
  const parts = [fileStampFromMicros(micros), event.kind];
  if (event.kind === 'BashOutput') parts.push(event.command_id);
  parts.push(event.id);
  return parts.join('_');
}
