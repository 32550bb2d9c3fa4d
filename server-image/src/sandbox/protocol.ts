// The sandbox runner's protocol: one WebSocket per process over a unix socket (see README "The sandbox").
//
//   client → runner  text   {"type":"spawn", file, args, cwd, env, stdin}      first frame: start a process
//                            {"type":"signal", signal}                          to the process's group
//                            {"type":"stdin-end"}                               close its stdin
//                    binary  bytes for its stdin
//                    text    {"type":"signal-group", pgid, signal}             first frame of a control connection:
//                                                                               signal a group after its process ended
//   runner → client  text   {"type":"spawned", pid} · {"type":"exit"|"close", code, signal}
//                            {"type":"error", message}                          could not start; the runner closes
//                            {"type":"signaled", delivered}                     answer to signal-group; the runner closes
//                    binary  1 byte channel (1 stdout, 2 stderr), then the bytes
//
// Nothing on it is secret and nothing is authenticated: whoever reaches the socket can run processes as the sandbox's
// user, which the agent already does. Each side validates what the other sends (a frame that fails is a
// protocol error: the connection closes with 1008 and, on the runner, the process group is killed).
import { constants as osConstants } from 'node:os';
import type { RawData } from 'ws';
import { z } from 'zod';

export const STDOUT_CHANNEL = 1;
export const STDERR_CHANNEL = 2;
/** Largest frame either side accepts (a spawn carries the whole environment). */
export const MAX_FRAME_BYTES = 64 * 1024 * 1024;

const SIGNAL_NAMES = Object.keys(osConstants.signals) as [NodeJS.Signals, ...NodeJS.Signals[]];
export const SignalSchema = z.enum(SIGNAL_NAMES);

export const SpawnRequestSchema = z.object({
  type: z.literal('spawn'),
  file: z.string().min(1),
  args: z.array(z.string()).max(100_000),
  cwd: z.string().min(1),
  env: z.record(z.string(), z.string()),
  stdin: z.boolean(),
}).strict();
export type SpawnRequest = z.infer<typeof SpawnRequestSchema>;

export const SignalGroupRequestSchema = z.object({
  type: z.literal('signal-group'),
  pgid: z.number().int().min(2),
  signal: z.union([SignalSchema, z.literal(0)]),
}).strict();

/** The first text frame of a connection. */
export const OpeningSchema = z.discriminatedUnion('type', [SpawnRequestSchema, SignalGroupRequestSchema]);

/** Later text frames of a spawn connection. */
export const ControlSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('signal'), signal: SignalSchema }).strict(),
  z.object({ type: z.literal('stdin-end') }).strict(),
]);
export type Control = z.infer<typeof ControlSchema>;

const Ended = { code: z.number().int().nullable(), signal: SignalSchema.nullable() };
export const RunnerMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('spawned'), pid: z.number().int().positive() }),
  z.object({ type: z.literal('exit'), ...Ended }),
  z.object({ type: z.literal('close'), ...Ended }),
  z.object({ type: z.literal('error'), message: z.string() }),
  z.object({ type: z.literal('signaled'), delivered: z.boolean() }),
]);
export type RunnerMessage = z.infer<typeof RunnerMessageSchema>;

/** A frame the peer should not have sent. */
export class RunnerProtocolError extends Error {
  override readonly name = 'RunnerProtocolError';
}

/** Parses a text frame with `schema`; throws RunnerProtocolError naming what is wrong. */
export function parseFrame<T>(schema: z.ZodType<T>, data: string): T {
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    throw new RunnerProtocolError('frame is not JSON');
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new RunnerProtocolError(`invalid frame: ${z.prettifyError(parsed.error).replace(/\n/g, '; ')}`);
  return parsed.data;
}

/** The bytes of a received frame, whatever shape `ws` delivered it in. */
export function frameBytes(data: RawData): Buffer {
  return Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
}
