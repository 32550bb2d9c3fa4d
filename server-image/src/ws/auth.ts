// WebSocket authentication, the three OpenHands styles, in the order the OpenHands server checks them:
// 1. a key in the `session_api_key` query parameter (deprecated) or the X-Session-API-Key header:
//    right → accepted; wrong → refused at the handshake (HTTP 403), no socket is opened;
// 2. otherwise, with keys configured, the socket is accepted and its first text frame must be
//    `{"type":"auth","session_api_key":"<key>"}` within 10 s; anything else closes it with 4001;
// 3. no keys configured → accepted at once.
import type { IncomingMessage } from 'node:http';
import type { RawData, WebSocket } from 'ws';
import { SESSION_KEY_HEADER, headerKey, keyMatches } from '../http/auth.js';

const AUTH_TIMEOUT_MS = 10_000;
export const CLOSE_AUTH_FAILED = 4001;

export type HandshakeVerdict = 'accept' | 'reject' | 'first-frame';

/** Decides at the handshake: accept, refuse (403), or accept and await the first-frame auth. */
export function handshakeAuth(keys: readonly string[], req: IncomingMessage, url: URL): HandshakeVerdict {
  if (keys.length === 0) return 'accept';
  const given = url.searchParams.get('session_api_key') ?? headerKey(req.headers[SESSION_KEY_HEADER]);
  if (given === null || given === undefined) return 'first-frame';
  return keyMatches(keys, given) ? 'accept' : 'reject';
}

/** A redundant `{"type":"auth",...}` frame, to be ignored once a socket is authenticated. */
export function isAuthControlMessage(data: unknown): boolean {
  if (!data || typeof data !== 'object' || Array.isArray(data)) return false;
  const record = data as Record<string, unknown>;
  return record.type === 'auth' && Object.keys(record).every((k) => k === 'type' || k === 'session_api_key');
}

/**
 * Waits for the first frame to authenticate the socket. Calls `onAuthenticated` synchronously from the
 * frame's event, so the handler can attach its own listeners before the next frame is delivered; on a
 * wrong key, bad JSON, a wrong type or the timeout, closes with 4001.
 */
export function awaitFirstFrameAuth(socket: WebSocket, keys: readonly string[], onAuthenticated: () => void, timeoutMs = AUTH_TIMEOUT_MS): void {
  const fail = () => {
    socket.off('message', onMessage);
    socket.close(CLOSE_AUTH_FAILED, 'Authentication failed');
  };
  const timer = setTimeout(fail, timeoutMs);
  const onMessage = (raw: RawData, isBinary: boolean) => {
    clearTimeout(timer);
    socket.off('message', onMessage);
    let data: unknown;
    try {
      data = isBinary ? undefined : JSON.parse(raw.toString());
    } catch {
      data = undefined;
    }
    const record = data && typeof data === 'object' ? (data as Record<string, unknown>) : {};
    if (record.type !== 'auth' || typeof record.session_api_key !== 'string' || !keyMatches(keys, record.session_api_key)) {
      socket.close(CLOSE_AUTH_FAILED, 'Authentication failed');
      return;
    }
    onAuthenticated();
  };
  socket.on('message', onMessage);
  socket.once('close', () => clearTimeout(timer));
}
