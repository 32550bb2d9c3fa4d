// The one kubelet API endpoint this node serves: GET /containerLogs/{namespace}/{pod}/{container}, which
// the API server calls for `kubectl logs` (pods/log). HTTPS on the node's address with a certificate from
// the cluster CA; only clients presenting a certificate from that CA (the API server) are accepted.
// Supported query parameters: follow, tailLines, limitBytes, timestamps, sinceSeconds. Containers restart
// in place, so `previous` reads the same file.
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

export interface KubeletServerOptions {
  port: number;
  cert: Buffer;
  key: Buffer;
  ca: Buffer;
  logDir: string;
  log: (msg: string) => void;
}

const NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/** One k8s-file (CRI) log line: `<RFC3339Nano> <stdout|stderr> <F|P> <message>`. */
export function parseLogLine(line: string): { time: string; message: string; partial: boolean } | undefined {
  const m = /^(\S+) (stdout|stderr) ([FP]) ?(.*)$/.exec(line);
  return m ? { time: m[1] as string, partial: m[3] === 'P', message: m[4] ?? '' } : undefined;
}

async function findLogFile(logDir: string, ns: string, pod: string, container: string): Promise<string | undefined> {
  const prefix = `${ns}_${pod}_`;
  const suffix = `_${container}.log`;
  let best: { path: string; mtime: number } | undefined;
  for (const f of await readdir(logDir).catch(() => [] as string[])) {
    if (!f.startsWith(prefix) || !f.endsWith(suffix) || f.length !== prefix.length + 8 + suffix.length) continue;
    const s = await stat(join(logDir, f));
    if (!best || s.mtimeMs > best.mtime) best = { path: join(logDir, f), mtime: s.mtimeMs };
  }
  return best?.path;
}

function render(lines: string[], timestamps: boolean, since: number | undefined): string {
  let out = '';
  let pending = '';
  for (const raw of lines) {
    const l = parseLogLine(raw);
    if (!l) continue;
    if (since !== undefined && Date.parse(l.time) < since) continue;
    pending += l.message;
    if (l.partial) continue;
    out += `${timestamps ? `${l.time} ` : ''}${pending}\n`;
    pending = '';
  }
  return out;
}

async function serveLogs(req: IncomingMessage, res: ServerResponse, opts: KubeletServerOptions, parts: string[]): Promise<void> {
  const [ns = '', pod = '', container = ''] = parts;
  if (![ns, pod, container].every((p) => NAME.test(p))) {
    res.writeHead(400).end('invalid namespace, pod or container name\n');
    return;
  }
  const url = new URL(req.url ?? '/', 'https://node');
  const q = url.searchParams;
  const timestamps = q.get('timestamps') === 'true';
  const follow = q.get('follow') === 'true';
  const tail = q.has('tailLines') ? Number(q.get('tailLines')) : undefined;
  const limit = q.has('limitBytes') ? Number(q.get('limitBytes')) : undefined;
  const since = q.has('sinceSeconds') ? Date.now() - Number(q.get('sinceSeconds')) * 1000 : undefined;
  const file = await findLogFile(opts.logDir, ns, pod, container);
  if (!file) {
    res.writeHead(404).end(`no logs for container ${container} of pod ${ns}/${pod} on this node\n`);
    return;
  }
  const fh = await open(file, 'r');
  try {
    const content = (await fh.readFile()).toString('utf8');
    let offset = Buffer.byteLength(content);
    let lines = content.split('\n').filter((l) => l !== '');
    if (tail !== undefined && Number.isFinite(tail) && tail >= 0) lines = lines.slice(Math.max(0, lines.length - tail));
    let text = render(lines, timestamps, since);
    let sent = 0;
    const send = (s: string): boolean => {
      if (limit !== undefined && sent + Buffer.byteLength(s) > limit) s = Buffer.from(s).subarray(0, Math.max(0, limit - sent)).toString();
      sent += Buffer.byteLength(s);
      if (s) res.write(s);
      return limit === undefined || sent < limit;
    };
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
    if (!send(text) || !follow) { res.end(); return; }
    // follow: stream what is appended until the client goes away or the file disappears.
    let closed = false;
    req.on('close', () => { closed = true; });
    let carry = '';
    while (!closed) {
      await new Promise((r) => setTimeout(r, 250));
      const size = (await stat(file).catch(() => undefined))?.size;
      if (size === undefined) break;
      if (size <= offset) continue;
      const buf = Buffer.alloc(size - offset);
      await fh.read(buf, 0, buf.length, offset);
      offset = size;
      const chunk = carry + buf.toString('utf8');
      const complete = chunk.lastIndexOf('\n');
      carry = chunk.slice(complete + 1);
      text = render(chunk.slice(0, complete + 1).split('\n').filter((l) => l !== ''), timestamps, since);
      if (!send(text)) break;
    }
    res.end();
  } finally {
    await fh.close();
  }
}

export function startKubeletServer(opts: KubeletServerOptions): Server {
  const server = createServer({ cert: opts.cert, key: opts.key, ca: opts.ca, requestCert: true, rejectUnauthorized: true }, (req, res) => {
    const path = new URL(req.url ?? '/', 'https://node').pathname.split('/').filter(Boolean);
    if (req.method === 'GET' && path[0] === 'containerLogs' && path.length === 4) {
      serveLogs(req, res, opts, path.slice(1)).catch((err: unknown) => {
        opts.log(`kubelet server: logs failed: ${(err as Error).message}`);
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
    } else if (req.method === 'GET' && path[0] === 'healthz') {
      res.writeHead(200).end('ok');
    } else {
      res.writeHead(404).end('this test node serves only /containerLogs\n');
    }
  });
  server.listen(opts.port, '127.0.0.1');
  return server;
}
