// One round of each figure against one agent server (ours or the official one), through the same client:
// plain fetch and ws (curl for the 100 MB transfers), over loopback. Each function fails when the server answers
// wrongly, so a figure is only ever printed for correct behaviour; none judges a duration.
import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { createReadStream, readdirSync, readFileSync, statSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { pipeline } from 'node:stream/promises';
import WebSocket from 'ws';
import { startScriptedOpenAIServer } from '@agentworkspace/sdk';
import { call, type TestServer } from '../../test/support/server.js';
import { rssBytes } from '../../test/support/processes.js';
import type { ModelFront } from './model-front.js';

/**
 * Both servers admit 50 subscribers per conversation, and the official one counts two of its own among them, so
 * at most 48 sockets share a conversation here; more are spread over conversations round-robin.
 */
export const SUBSCRIBERS_PER_CONVERSATION = 48;

function expectOk(label: string, res: { status: number; body: unknown }): void {
  if (res.status < 200 || res.status >= 300) throw new Error(`${label}: HTTP ${res.status} ${JSON.stringify(res.body).slice(0, 500)}`);
}

/** `execute_bash_command` of `command`, round trip in ms; the command must exit 0. */
export async function executeBash(server: TestServer, command: string): Promise<number> {
  const t0 = performance.now();
  const res = await call<{ exit_code: number | null }>(server, 'POST', '/api/bash/execute_bash_command', { json: { command, timeout: 300 } });
  const elapsed = performance.now() - t0;
  expectOk(`execute_bash_command ${command.slice(0, 40)}`, res);
  if (res.body.exit_code !== 0) throw new Error(`${command.slice(0, 40)} exited ${res.body.exit_code}`);
  return elapsed;
}

/**
 * Runs curl with `args` (plus the session key) and resolves its stdout once it exits 0: the transfer client. A C
 * client in its own process, so the figure is the server's: undici's fetch spent 1–1.5 s of CPU on 100 MB in the
 * benchmark process, ten times what our server spent serving it.
 */
function curl(server: TestServer, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('curl', ['--silent', '--show-error', '--fail-with-body', '-H', `X-Session-API-Key: ${server.key ?? ''}`, ...args], { maxBuffer: 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`curl ${args.at(-1)}: ${err.message} ${stderr} ${stdout.slice(0, 500)}`));
      else resolve(stdout);
    });
  });
}

/** Multipart upload of the file at `src` (curl -F, streamed from disk) to `dest` on the server: ms. */
export async function upload(server: TestServer, src: string, dest: string): Promise<number> {
  const t0 = performance.now();
  const body = await curl(server, ['-F', `file=@${src};filename=payload.bin`, `${server.url}/api/file/upload?path=${encodeURIComponent(dest)}`]);
  const elapsed = performance.now() - t0;
  const answer = JSON.parse(body) as { success?: boolean; file_size?: number };
  if (answer.success !== true || answer.file_size !== statSync(src).size) throw new Error(`upload: answered ${body.slice(0, 500)}`);
  return elapsed;
}

/** Download of `path` into the file `dest` (curl -o, streamed to disk): ms, then checks size and hash against `digest`. */
export async function download(server: TestServer, path: string, dest: string, digest: string): Promise<number> {
  const t0 = performance.now();
  await curl(server, ['-o', dest, `${server.url}/api/file/download?path=${encodeURIComponent(path)}`]);
  const elapsed = performance.now() - t0;
  const hash = createHash('sha256');
  await pipeline(createReadStream(dest), hash);
  if (hash.digest('hex') !== digest) throw new Error(`download: ${statSync(dest).size} bytes that are not the uploaded ones`);
  return elapsed;
}

/** GET /health from `concurrency` clients in a loop for `durationMs`: requests per second. */
export async function healthRps(url: string, concurrency: number, durationMs: number): Promise<number> {
  let done = 0;
  const t0 = performance.now();
  const deadline = t0 + durationMs;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (performance.now() < deadline) {
      const res = await fetch(`${url}/health`);
      const body = await res.text();
      if (res.status !== 200 || !body.includes('ok')) throw new Error(`/health: HTTP ${res.status} ${body.slice(0, 200)}`);
      done++;
    }
  }));
  return done / ((performance.now() - t0) / 1000);
}

function agent(front: ModelFront, tools: string[] = ['terminal']): unknown {
  return {
    kind: 'Agent',
    llm: { model: 'openai/scripted', base_url: `${front.url}/v1`, api_key: 'sk-bench', usage_id: 'agent', num_retries: 0 },
    tools: tools.map((name) => ({ name, params: {} })),
  };
}

/** Creates an idle conversation (no message, nothing runs): its id. */
export async function createConversation(server: TestServer, front: ModelFront, workingDir: string, initialMessage?: string): Promise<string> {
  const res = await call<{ id: string }>(server, 'POST', '/api/conversations', {
    json: {
      agent: agent(front),
      workspace: { kind: 'LocalWorkspace', working_dir: workingDir },
      ...(initialMessage ? { initial_message: { content: [{ type: 'text', text: initialMessage }] } } : {}),
    },
  });
  if (res.status !== 200 && res.status !== 201) throw new Error(`create conversation: HTTP ${res.status} ${JSON.stringify(res.body).slice(0, 500)}`);
  return res.body.id;
}

/** The RSS of a process and all its descendants, in bytes (the official server may run helpers). */
export function treeRssBytes(pid: number): number {
  let total = 0;
  const visit = (p: number) => {
    try {
      total += rssBytes(p);
      for (const task of readdirSync(`/proc/${p}/task`)) {
        const children = readFileSync(`/proc/${p}/task/${task}/children`, 'utf8').trim();
        for (const child of children ? children.split(/\s+/) : []) visit(Number(child));
      }
    } catch {
      // exited while we looked
    }
  };
  visit(pid);
  return total;
}

export interface FanoutResult {
  /** Deliveries (events × subscribers) per second, from the first post to the last delivery. */
  deliveriesPerSecond: number;
  /** Post start → frame received, ms, one per delivery. */
  latencies: number[];
}

/** Opens a subscriber on the conversation's events socket and resolves once its first frame (the state) arrived. */
function subscribe(server: TestServer, conversationId: string, onFrame: (data: string, at: number) => void): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${server.url.replace(/^http/, 'ws')}/sockets/events/${conversationId}`, { headers: { 'X-Session-API-Key': server.key ?? '' } });
    let first = true;
    socket.on('error', reject);
    socket.on('close', (code) => first && reject(new Error(`events socket closed ${code} before its first frame`)));
    socket.on('message', (data) => {
      const at = performance.now();
      if (first) {
        first = false;
        resolve(socket);
        return;
      }
      onFrame(data.toString(), at);
    });
  });
}

/**
 * `subscribers` sockets (at most 48 per conversation, so 100 are three), then `events` user messages
 * posted one after another (`run: false`: appended and published, nothing runs), each to the next conversation
 * in turn; every subscriber of that conversation must receive each.
 */
export async function fanout(server: TestServer, front: ModelFront, workingDir: string, subscribers: number, events: number): Promise<FanoutResult> {
  const conversations = await Promise.all(Array.from({ length: Math.ceil(subscribers / SUBSCRIBERS_PER_CONVERSATION) }, () => createConversation(server, front, workingDir)));
  const postedAt = new Map<string, number>();
  const latencies: number[] = [];
  let last = 0;
  let expected = 0;
  let resolveAll!: () => void;
  const allDelivered = new Promise<void>((resolve) => (resolveAll = resolve));
  const onFrame = (data: string, at: number) => {
    const match = /bench-fanout-\d+/.exec(data);
    if (!match || !data.includes('"MessageEvent"')) return;
    const t0 = postedAt.get(match[0]);
    if (t0 === undefined) return;
    latencies.push(at - t0);
    last = at;
    if (latencies.length === expected) resolveAll();
  };
  const sockets: WebSocket[] = [];
  try {
    for (let i = 0; i < subscribers; i++) sockets.push(await subscribe(server, conversations[i % conversations.length] as string, onFrame));
    const perConversation = conversations.map((_, c) => sockets.filter((_s, i) => i % conversations.length === c).length);
    for (let e = 0; e < events; e++) expected += perConversation[e % conversations.length] as number;
    const start = performance.now();
    for (let e = 0; e < events; e++) {
      const marker = `bench-fanout-${e}`;
      postedAt.set(marker, performance.now());
      const res = await call(server, 'POST', `/api/conversations/${conversations[e % conversations.length]}/events`, {
        json: { role: 'user', content: [{ type: 'text', text: marker }], run: false },
      });
      expectOk('post event', res);
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([allDelivered, new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`fan-out: ${latencies.length} of ${expected} deliveries after 60 s`)), 60_000);
    })]).finally(() => clearTimeout(timer));
    return { deliveriesPerSecond: expected / ((last - start) / 1000), latencies };
  } finally {
    for (const socket of sockets) socket.terminate();
    await Promise.all(conversations.map((id) => call(server, 'DELETE', `/api/conversations/${id}`).catch(() => undefined)));
  }
}

export interface StepsResult {
  totalMs: number;
  modelMs: number;
  /** (total − model) / steps. */
  overheadPerStepMs: number;
}

/**
 * A conversation of `steps` model turns (steps − 1 `terminal` calls of `echo step-<i>`, then `finish`) against the scripted
 * model behind `front`: from the create request until `finished`, minus the time the model took to answer.
 */
export async function scriptedSteps(server: TestServer, front: ModelFront, workingDir: string, steps: number): Promise<StepsResult> {
  const turns = [
    // A different command each step: the same action repeated is what a stuck detector looks for.
    ...Array.from({ length: steps - 1 }, (_, i) => ({ tool_calls: [{ name: 'terminal', arguments: { command: `echo step-${i}` } }] })),
    { tool_calls: [{ name: 'finish', arguments: { message: 'done' } }] },
  ];
  const model = await startScriptedOpenAIServer({ script: { turns } as never });
  try {
    front.reset(model.url);
    const t0 = performance.now();
    const id = await createConversation(server, front, workingDir, `run ${steps - 1} echo commands, then finish`);
    const deadline = Date.now() + 600_000;
    for (;;) {
      const info = await call<{ execution_status: string }>(server, 'GET', `/api/conversations/${id}`);
      const status = info.body.execution_status;
      if (status === 'finished') break;
      if (status === 'error' || status === 'stuck') throw new Error(`${steps}-step conversation ended ${status}; model violations: ${model.player.violations.join('; ')}`);
      if (Date.now() > deadline) throw new Error(`${steps}-step conversation still ${status} after 10 minutes`);
      await new Promise((r) => setTimeout(r, 10));
    }
    const totalMs = performance.now() - t0;
    if (model.player.violations.length) throw new Error(`scripted model violations: ${model.player.violations.join('; ')}`);
    if (front.completions !== steps) throw new Error(`${front.completions} agent completions, expected ${steps}`);
    await call(server, 'DELETE', `/api/conversations/${id}`);
    return { totalMs, modelMs: front.modelMs, overheadPerStepMs: (totalMs - front.modelMs) / steps };
  } finally {
    await model.close();
  }
}
