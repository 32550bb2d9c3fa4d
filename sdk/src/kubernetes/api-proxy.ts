// A loopback forwarder to one Service through the API server's service proxy, as `kubectl proxy` does for the
// whole API: bound to 127.0.0.1 on a free port, it sends each HTTP request and WebSocket upgrade to
// `<server>/api/v1/namespaces/<ns>/services/<svc>:<port>/proxy/<path>` with the kubeconfig's credentials
// (client certificate, token, exec plugin: whatever KubeConfig.applyToHTTPSOptions applies). The SDK's
// RemoteWorkspace then uses the global fetch and WebSocket against it, which cannot present a client
// certificate themselves. Node's http/https and streams only; nothing is logged but paths and statuses.
import { createServer, request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders, type Server } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from '../logger.js';
import { ConnectionError } from '../remote/errors.js';

export interface ServiceProxyTarget {
  namespace: string;
  service: string;
  /** The Service port, by number or name. */
  port: number | string;
}

/** A running forwarder: `url` is its base (`http://127.0.0.1:<port>`); `close()` stops it and its sockets. */
export interface ServiceProxy {
  readonly url: string;
  close(): Promise<void>;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'host', 'authorization']);

/** Starts the forwarder; rejects with a ConnectionError when the kubeconfig has no current cluster. */
export async function startServiceProxy(kubeConfig: KubeConfig, target: ServiceProxyTarget, logger: Logger): Promise<ServiceProxy> {
  const cluster = kubeConfig.getCurrentCluster();
  if (!cluster) throw new ConnectionError('the kubeconfig has no current cluster; set its current-context.');
  const server = new URL(cluster.server);
  const secure = server.protocol === 'https:';
  const prefix = `${server.pathname.replace(/\/+$/, '')}/api/v1/namespaces/${encodeURIComponent(target.namespace)}/services/` +
    `${encodeURIComponent(target.service)}:${encodeURIComponent(String(target.port))}/proxy`;

  const upstreamOptions = async (req: IncomingMessage, upgrade: boolean): Promise<RequestOptions> => {
    const headers: OutgoingHttpHeaders = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) headers[k] = v;
    if (upgrade) {
      headers.connection = 'Upgrade';
      headers.upgrade = req.headers.upgrade ?? 'websocket';
    }
    const opts: RequestOptions = {
      protocol: server.protocol, hostname: server.hostname.replace(/^\[|\]$/g, ''), port: server.port || (secure ? 443 : 80),
      method: req.method ?? 'GET', path: `${prefix}${req.url ?? '/'}`, headers,
    };
    await kubeConfig.applyToHTTPSOptions(opts);
    return opts;
  };
  const send = (opts: RequestOptions) => (secure ? httpsRequest(opts) : httpRequest(opts));
  const sockets = new Set<Duplex>();
  const track = (s: Duplex) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  };

  const http: Server = createServer((req, res) => {
    req.on('error', () => undefined);
    res.on('error', () => undefined);
    upstreamOptions(req, false).then((opts) => {
      const up = send(opts);
      up.on('response', (upRes) => {
        upRes.on('error', () => res.destroy());
        const headers = { ...upRes.headers };
        delete headers.connection;
        delete headers['transfer-encoding'];
        res.writeHead(upRes.statusCode ?? 502, headers);
        upRes.pipe(res);
      });
      up.on('error', (err) => {
        logger.debug({ path: req.url, err: err.message }, 'service proxy: upstream failed');
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' }).end(JSON.stringify({ detail: `API server proxy: ${err.message}` }));
        else res.destroy();
      });
      req.pipe(up);
    }).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' }).end(JSON.stringify({ detail: `API server credentials: ${String(err)}` }));
    });
  });

  http.on('upgrade', (req: IncomingMessage, client: Duplex, head: Buffer) => {
    track(client);
    client.on('error', () => client.destroy());
    upstreamOptions(req, true).then((opts) => {
      const up = send(opts);
      up.on('upgrade', (upRes, upSocket: Socket, upHead: Buffer) => {
        track(upSocket);
        upSocket.on('error', () => client.destroy());
        const lines = [`HTTP/1.1 ${upRes.statusCode ?? 101} ${upRes.statusMessage ?? 'Switching Protocols'}`];
        for (let i = 0; i < upRes.rawHeaders.length; i += 2) lines.push(`${upRes.rawHeaders[i]}: ${upRes.rawHeaders[i + 1]}`);
        client.write(`${lines.join('\r\n')}\r\n\r\n`);
        if (upHead.length) client.write(upHead);
        if (head.length) upSocket.write(head);
        upSocket.pipe(client);
        client.pipe(upSocket);
        client.on('close', () => upSocket.destroy());
        upSocket.on('close', () => client.destroy());
      });
      up.on('response', (upRes) => {
        // The server refused the upgrade (e.g. 401 from the agent server, 403 from RBAC): pass its answer on.
        upRes.on('error', () => client.destroy());
        client.write(`HTTP/1.1 ${upRes.statusCode ?? 502} ${upRes.statusMessage ?? ''}\r\nconnection: close\r\n\r\n`);
        upRes.pipe(client);
      });
      up.on('error', (err) => {
        logger.debug({ path: req.url, err: err.message }, 'service proxy: upgrade failed');
        client.end('HTTP/1.1 502 Bad Gateway\r\nconnection: close\r\n\r\n');
      });
      up.end();
    }).catch(() => client.end('HTTP/1.1 502 Bad Gateway\r\nconnection: close\r\n\r\n'));
  });
  http.on('connection', (s) => track(s));

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(0, '127.0.0.1', () => {
      http.off('error', reject);
      resolve();
    });
  });
  http.on('error', (err) => logger.warn({ err: err.message }, 'service proxy: server error'));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      http.close(() => resolve());
    }),
  };
}
