// In front of the SDK's scripted model: times every completion it forwards (arrival to the last byte sent back),
// so a conversation's time minus the model's own is the server's overhead; and answers title requests (a
// completion with no tools, which the official server sends for the first user message) itself, so the
// scripted turns reach the agent in order. The time of those is counted as the model's too.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';

export interface ModelFront {
  url: string;
  /** Milliseconds spent answering completions since the last reset. */
  modelMs: number;
  completions: number;
  titles: number;
  /** Where completions with tools go (the scripted model's base URL, no /v1). */
  upstream: string;
  reset(upstream: string): void;
  close(): Promise<void>;
}

export async function startModelFront(): Promise<ModelFront> {
  const front: ModelFront = {
    url: '', modelMs: 0, completions: 0, titles: 0, upstream: '',
    reset(upstream) {
      front.upstream = upstream;
      front.modelMs = 0;
      front.completions = 0;
      front.titles = 0;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  const server: Server = createServer((req, res) => {
    const t0 = performance.now();
    res.on('finish', () => (front.modelMs += performance.now() - t0));
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('error', () => res.destroy());
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      const parsed = (() => { try { return JSON.parse(body) as { tools?: unknown[] }; } catch { return {}; } })();
      if (req.method === 'POST' && req.url?.endsWith('/chat/completions') && !parsed.tools?.length) {
        front.titles++;
        res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({
          id: 'title', object: 'chat.completion', created: 0, model: 'scripted',
          choices: [{ index: 0, message: { role: 'assistant', content: 'Benchmark' }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
        }));
        return;
      }
      front.completions++;
      const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => k !== 'host' && k !== 'content-length')) as Record<string, string>;
      fetch(front.upstream + (req.url ?? ''), { method: req.method ?? 'GET', headers, body: req.method === 'GET' ? undefined : body })
        .then(async (up) => res.writeHead(up.status, { 'Content-Type': up.headers.get('content-type') ?? 'application/json' }).end(Buffer.from(await up.arrayBuffer())))
        .catch(() => res.destroy());
    });
  });
  server.on('clientError', (_err, socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  front.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return front;
}
