import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';

export interface RunningServer {
  /** e.g. `http://127.0.0.1:40123` */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Reads a JSON body (capped at 32 MiB). */
export async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > 32 * 1024 * 1024) throw new Error('request body over 32 MiB');
    chunks.push(c as Buffer);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null');
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/**
 * Handles one request; `closing` aborts when the server closes, so a handler stops waiting (see `sleep`) instead
 * of keeping the process alive.
 */
export type Handler = (req: IncomingMessage, res: ServerResponse, closing: AbortSignal) => void;

/**
 * Listens on `host:port` (port 0 picks one) and resolves once bound. `close()` aborts `closing`, destroys every
 * open connection (streams and delayed replies included) and resolves once the port is released.
 */
export function listen(handler: Handler, port = 0, host = '127.0.0.1'): Promise<RunningServer> {
  const closing = new AbortController();
  const server: Server = createServer((req, res) => handler(req, res, closing.signal));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const addr = server.address() as AddressInfo;
      resolve({
        url: `http://${host}:${addr.port}`,
        port: addr.port,
        close: () => new Promise<void>((r) => {
          closing.abort();
          server.close(() => r());
          server.closeAllConnections();
        }),
      });
    });
  });
}

/** Waits `ms`; rejects with an AbortError, clearing the timer, once `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return delay(ms, undefined, signal ? { signal } : {});
}
