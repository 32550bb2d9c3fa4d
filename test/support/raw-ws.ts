// A WebSocket client at the byte level, for hostile-input tests: the `ws` client always masks, never sends a
// reserved opcode or invalid UTF-8, and checks sizes, so frames a hostile client would send are built here.
// Only loopback: the socket connects to the test server's 127.0.0.1 port.
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';

export interface RawFrame {
  fin: boolean;
  opcode: number;
  payload: Buffer;
}

export interface FrameOptions {
  fin?: boolean;
  /** Clients must mask; false sends an unmasked frame (a protocol error). */
  mask?: boolean;
  rsv?: number;
  /** The length written in the header, when it should differ from the payload's (a lie, or a huge claim). */
  declaredLength?: number;
}

/** One frame's bytes. */
export function frame(opcode: number, payload: Buffer | string, opts: FrameOptions = {}): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const mask = opts.mask ?? true;
  const length = opts.declaredLength ?? data.length;
  const head: number[] = [((opts.fin ?? true) ? 0x80 : 0) | ((opts.rsv ?? 0) << 4) | (opcode & 0x0f)];
  const maskBit = mask ? 0x80 : 0;
  let ext = Buffer.alloc(0);
  if (length < 126) head.push(maskBit | length);
  else if (length < 65536) {
    head.push(maskBit | 126);
    ext = Buffer.alloc(2);
    ext.writeUInt16BE(length);
  } else {
    head.push(maskBit | 127);
    ext = Buffer.alloc(8);
    ext.writeBigUInt64BE(BigInt(length));
  }
  if (!mask) return Buffer.concat([Buffer.from(head), ext, data]);
  const key = randomBytes(4);
  const masked = Buffer.from(data);
  for (let i = 0; i < masked.length; i++) masked[i] = (masked[i] as number) ^ (key[i % 4] as number);
  return Buffer.concat([Buffer.from(head), ext, key, masked]);
}

export interface RawSocket {
  socket: Socket;
  /** HTTP status of the handshake answer (101 when upgraded). */
  status: number;
  /** Resolves with the close frame's code (or null when the connection ended without one). */
  closed: Promise<number | null>;
  /** Frames received so far. */
  frames: RawFrame[];
  send(bytes: Buffer): void;
}

/** Parses the complete server frames (unmasked) at the start of `buf`; returns them and the rest. */
function parseFrames(buf: Buffer): { frames: RawFrame[]; rest: Buffer } {
  const frames: RawFrame[] = [];
  let at = 0;
  for (;;) {
    if (buf.length - at < 2) break;
    const b0 = buf[at] as number;
    const b1 = buf[at + 1] as number;
    let length = b1 & 0x7f;
    let offset = at + 2;
    if (length === 126) {
      if (buf.length - at < 4) break;
      length = buf.readUInt16BE(at + 2);
      offset = at + 4;
    } else if (length === 127) {
      if (buf.length - at < 10) break;
      length = Number(buf.readBigUInt64BE(at + 2));
      offset = at + 10;
    }
    if (buf.length < offset + length) break;
    frames.push({ fin: (b0 & 0x80) !== 0, opcode: b0 & 0x0f, payload: buf.subarray(offset, offset + length) });
    at = offset + length;
  }
  return { frames, rest: buf.subarray(at) };
}

/**
 * Opens a TCP connection to `url` (http://127.0.0.1:port), sends the upgrade request for `path` with `headers`,
 * and resolves once the answer's status line is read. `closed` resolves with the server's close code.
 */
export function rawWebSocket(url: string, path: string, headers: Record<string, string> = {}): Promise<RawSocket> {
  const { hostname, port } = new URL(url);
  if (hostname !== '127.0.0.1') throw new Error('raw sockets go to loopback only');
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    const frames: RawFrame[] = [];
    let buf: Buffer = Buffer.alloc(0);
    let upgraded = false;
    let closeCode: number | null | undefined;
    let onClosed: (code: number | null) => void = () => undefined;
    const closed = new Promise<number | null>((r) => (onClosed = r));
    const settleClose = (code: number | null) => {
      if (closeCode !== undefined) return;
      closeCode = code;
      onClosed(code);
    };
    socket.on('error', () => settleClose(closeCode ?? null));
    socket.on('close', () => {
      settleClose(null);
      if (!upgraded) reject(new Error('connection closed before the handshake answer'));
    });
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (!upgraded) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(buf.subarray(0, end).toString('latin1'))?.[1] ?? 0);
        buf = buf.subarray(end + 4);
        upgraded = true;
        resolve({ socket, status, closed, frames, send: (bytes) => void (socket.writable && socket.write(bytes)) });
        if (status !== 101) {
          socket.destroy();
          return;
        }
      }
      const parsed = parseFrames(buf);
      buf = parsed.rest;
      for (const f of parsed.frames) {
        frames.push(f);
        if (f.opcode === 0x8) settleClose(f.payload.length >= 2 ? f.payload.readUInt16BE(0) : null);
      }
    });
    const head = [
      `GET ${path} HTTP/1.1`, `Host: ${hostname}:${port}`, 'Upgrade: websocket', 'Connection: Upgrade',
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`, 'Sec-WebSocket-Version: 13',
      ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`), '', '',
    ].join('\r\n');
    socket.write(head);
  });
}
