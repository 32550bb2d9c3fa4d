// Routes WebSocket upgrades on the HTTP server to registered socket handlers, after authentication
// (ws/auth.ts). `registerSocket(/^\/sockets\/events\/([^/]+)$/, handler)` is how other routes plug in.
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { endWithError } from '../http/errors.js';
import { type Logger, redactUrl } from '../log.js';
import type { Metrics } from '../metrics.js';
import { awaitFirstFrameAuth, handshakeAuth } from './auth.js';

export interface SocketContext {
  socket: WebSocket;
  request: IncomingMessage;
  url: URL;
  /** The route pattern's match (capture groups are path parameters). */
  params: RegExpExecArray;
  log: Logger;
}

/**
 * Serves one authenticated socket. It must attach its 'message' listener before its first `await`:
 * frames that follow the auth frame are delivered right after the handler starts.
 */
export type SocketHandler = (ctx: SocketContext) => void | Promise<void>;

/** Checks a handshake's path parameters and query before anything else; false refuses it with 403 (FastAPI's answer to an invalid parameter). */
export type HandshakeCheck = (url: URL, params: RegExpExecArray) => boolean;

export interface DispatcherOptions {
  keys: readonly string[];
  log: Logger;
  metrics?: Metrics;
  /** Largest frame a client may send. */
  maxPayload: number;
  /** False once shutdown begins: new upgrades get 503. */
  accepting: () => boolean;
  /** Held while each socket is open (the server is not idle meanwhile). */
  activity?: { hold(): () => void };
}

export class SocketDispatcher {
  private readonly routes: { pattern: RegExp; name: string; handler: SocketHandler; check?: HandshakeCheck | undefined }[] = [];
  private readonly wss: WebSocketServer;

  constructor(private readonly opts: DispatcherOptions) {
    this.wss = new WebSocketServer({ noServer: true, maxPayload: opts.maxPayload });
  }

  /** Adds a socket route; `pattern` is matched against the URL path. `name` labels metrics. */
  registerSocket(pattern: RegExp, handler: SocketHandler, name = pattern.source, check?: HandshakeCheck): void {
    this.routes.push({ pattern, handler, name, check });
  }

  /** Handles the server's upgrade requests. */
  attach(server: Server): void {
    server.on('upgrade', (req, socket, head) => this.upgrade(req, socket, head));
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const { log, keys } = this.opts;
    socket.on('error', () => socket.destroy());
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      return endWithError(socket, 400, 'Bad Request');
    }
    let params: RegExpExecArray | null = null;
    const route = this.routes.find((r) => (params = r.pattern.exec(url.pathname)) !== null);
    if (!route || !params) return endWithError(socket, 404, 'Not Found');
    if (!this.opts.accepting()) return endWithError(socket, 503, 'Server is shutting down');
    if (route.check && !route.check(url, params)) return endWithError(socket, 403, 'Forbidden');
    const verdict = handshakeAuth(keys, req, url);
    const safeUrl = redactUrl(req.url ?? '/');
    if (verdict === 'reject') {
      log.warn({ url: safeUrl }, 'websocket refused: invalid session key');
      return endWithError(socket, 403, 'Forbidden');
    }
    const match = params;
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      // From the moment the socket exists: a protocol error (unmasked frame, bad opcode, invalid UTF-8, a frame
      // over maxPayload) makes `ws` close it with 1002/1007/1009 and emit 'error', which must not reach the process.
      ws.on('error', (err) => log.debug({ err: err.message, url: safeUrl }, 'websocket protocol error; socket closed'));
      const ctx: SocketContext = { socket: ws, request: req, url, params: match, log: log.child({ socket: route.name }) };
      this.opts.metrics?.wsConnections.inc({ route: route.name });
      const release = this.opts.activity?.hold();
      ws.once('close', () => {
        this.opts.metrics?.wsConnections.dec({ route: route.name });
        release?.();
      });
      const start = () => {
        Promise.resolve(route.handler(ctx)).catch((err: unknown) => {
          ctx.log.error({ err }, 'socket handler failed');
          ws.close(1011, 'Internal error');
        });
      };
      log.info({ url: safeUrl, auth: verdict }, 'websocket connected');
      if (verdict === 'accept') start();
      else awaitFirstFrameAuth(ws, keys, start);
    });
  }

  /** Closes every open socket with `code` and waits until they are closed (at most `timeoutMs`). */
  async closeAll(code = 1001, reason = 'Server shutting down', timeoutMs = 2000): Promise<void> {
    const sockets = [...this.wss.clients];
    await Promise.all(sockets.map((ws) => new Promise<void>((resolve) => {
      if (ws.readyState === ws.CLOSED) return resolve();
      const timer = setTimeout(() => {
        ws.terminate();
        resolve();
      }, timeoutMs);
      ws.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      ws.close(code, reason);
    })));
  }
}
