// The hostile-input suite: a seeded generator of malformed HTTP requests and WebSocket frames, thousands of
// cases bounded in count and time, against the real server on 127.0.0.1. The server must never exit, never
// answer a client's error with a 5xx (the protocol's own 500 for ask_agent aside), never
// leave a request unanswered, and keep its memory bounded: RSS peaks under 1 GB, and a last round of cases ends
// within 50 MB of where it started (after two rounds have grown the process to what this traffic needs).
//
// Reproduce a failure with FUZZ_SEED=<seed> (printed at the start). Commands sent to the bash routes come from a
// fixed harmless list or are invalid; models point at a closed loopback port; file routes are confined to a
// scratch root.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Prng } from '../support/prng.js';
import { mib, peakRssBytes, rssBytes } from '../support/processes.js';
import { frame, rawWebSocket } from '../support/raw-ws.js';
import { type TestServer, startServer } from '../support/server.js';
import { waitFor } from '../support/wait.js';
import { request as httpRequest } from 'node:http';

jest.setTimeout(600_000);

const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed_2026);
/** Cases per round; the suite runs three rounds. */
const HTTP_CASES = Number(process.env.FUZZ_HTTP_CASES ?? 2400);
const WS_CASES = Number(process.env.FUZZ_WS_CASES ?? 800);
/** Generation stops here whatever the counts, so the suite is bounded in time on a loaded machine. */
const DEADLINE_MS = Number(process.env.FUZZ_DEADLINE_MS ?? 240_000);
const PARALLEL = 6;
const DEAD_LLM = 'http://127.0.0.1:9/v1';
const SAFE_COMMANDS = ['true', 'echo fuzz', 'printf %s x', 'exit 3', 'echo err >&2', 'pwd'];

type Json = unknown;

/** A string standing for a value nested that many levels deep: JSON.stringify of the value itself would overflow here too. */
const DEEP = '\u0000deep:';

/** Percent-encoding that also takes lone surrogates (encodeURIComponent throws on them): their CESU bytes, invalid UTF-8. */
function encode(text: string): string {
  try {
    return encodeURIComponent(text);
  } catch {
    return '%ED%A0%80';
  }
}

/** JSON text of `value`, each DEEP marker replaced by that depth of nesting. */
function serialize(value: Json): string {
  return (JSON.stringify(value) ?? 'null').replace(/"\\u0000deep:(\d+)"/g, (_m, n: string) => {
    const depth = Number(n);
    return depth % 2 ? `${'['.repeat(depth)}1${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
  });
}

/** `status` 0: the server closed the connection without an answer (as it does after refusing a body early); -1: no answer in time. */
interface Outcome { status: number; body: string }

/** One HTTP request with a raw head and body, so malformed bodies and odd methods go out as generated. */
function rawHttp(url: string, method: string, path: string, headers: Record<string, string>, body?: Buffer): Promise<Outcome> {
  const { port } = new URL(url);
  return new Promise((resolve) => {
    const req = httpRequest({ host: '127.0.0.1', port: Number(port), method, path, headers, timeout: 60_000 }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        if (size < 4096) chunks.push(c);
        size += c.length;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8', 0, 4096) }));
      res.on('error', () => resolve({ status: res.statusCode ?? 0, body: '' }));
    });
    req.on('timeout', () => {
      resolve({ status: -1, body: '' });
      req.destroy();
    });
    req.on('error', () => resolve({ status: 0, body: '' })); // the server closed the connection: not an answer
    req.end(body);
  });
}

class Generator {
  readonly conversations: string[] = [];
  constructor(readonly rng: Prng, readonly root: string) {}

  private hostileString(): string {
    const r = this.rng;
    return r.pick([
      () => '', () => r.text(r.int(1, 20)), () => 'a'.repeat(r.int(1000, 200_000)), () => '\u0000', () => `x\u0000y`,
      () => '../../../../etc/passwd', () => '%zz', () => '\ud800', () => '😀'.repeat(r.int(1, 50)), () => '__proto__',
      () => 'constructor', () => '{"a":1}', () => ' ', () => '\n\r\t', () => r.text(8, '\\"\'`$(){}[];|&<>*?~'),
    ])();
  }

  /** A JSON value, sometimes hostile in shape (deep, wide, huge). Never an object with a `command` key. */
  value(depth = 0): Json {
    const r = this.rng;
    if (depth > 3) return r.pick([null, true, 1, 'x']);
    const kind = r.int(0, 13);
    switch (kind) {
      case 0: return null;
      case 1: return r.chance(0.5);
      case 2: return r.pick([0, -1, 1.5, 1e308, -0, Number.MAX_SAFE_INTEGER + 2, 2_000_001, 300]);
      case 3: case 4: return this.hostileString();
      case 5: case 6: return Array.from({ length: r.int(0, 4) }, () => this.value(depth + 1));
      case 7: return `${DEEP}${r.int(50, 20_000)}`; // deep nesting, spliced in as text by serialize()
      case 8: return Array.from({ length: r.int(1000, 20_000) }, () => 0);
      default: {
        const keys = ['kind', 'type', 'id', 'role', 'content', 'text', 'agent', 'llm', 'tools', 'params', 'mcp_config', 'workspace', 'working_dir',
          'secrets', 'value', 'title', 'tags', 'policy', 'accept', 'question', 'timeout', 'cwd', 'run', 'conversation_id', 'security_analyzer', '__proto__', 'x'];
        const obj: Record<string, Json> = {};
        for (let i = r.int(0, 5); i > 0; i--) Object.defineProperty(obj, r.pick(keys), { value: this.value(depth + 1), enumerable: true, configurable: true, writable: true });
        return obj;
      }
    }
  }

  private agent(): Json {
    const r = this.rng;
    return {
      kind: 'Agent',
      llm: { model: r.pick(['openai/fuzz', 'x', '']), base_url: DEAD_LLM, api_key: r.pick(['sk-fuzz', undefined]), num_retries: 0 },
      tools: r.chance(0.7) ? [{ name: r.pick(['terminal', 'file_editor', 'nope']), params: r.chance(0.8) ? {} : this.value(1) }] : this.value(1),
      ...(r.chance(0.2) ? { mcp_config: this.value(1) } : {}),
    };
  }

  /** A body for the route: mostly plausible for it, often broken. */
  body(template: string): Json {
    const r = this.rng;
    if (template.startsWith('/api/bash/') && template.includes('bash_command')) {
      return r.pick([
        () => ({ command: r.pick(SAFE_COMMANDS), timeout: r.pick([1, 5, 0, -1, 'x', 2_000_001, undefined]), cwd: r.pick([undefined, null, this.root, '/nonexistent', 'rel', `${this.root}\u0000`]) }),
        () => ({ command: `echo ${'a'.repeat(r.int(130_000, 300_000))}` }),
        () => ({ command: `echo a\u0000b` }),
        () => ({ command: this.value(1) === null ? 1 : [] }),
        () => this.value(),
      ])();
    }
    if (template === '/api/conversations' ) {
      return r.pick([
        () => ({ agent: this.agent(), workspace: { kind: 'LocalWorkspace', working_dir: join(this.root, `w${r.int(0, 5)}`) }, ...(r.chance(0.2) ? { initial_message: { content: [{ type: 'text', text: 'hi' }] } } : {}), ...(r.chance(0.3) ? { secrets: this.value(1) } : {}) }),
        () => ({ agent: this.value(1), workspace: this.value(1), conversation_id: this.hostileString() }),
        () => this.value(),
      ])();
    }
    if (template.endsWith('/events') || template.endsWith('/ask_agent')) {
      return r.pick([
        () => ({ role: r.pick(['user', 'agent', 7]), content: [{ type: 'text', text: this.hostileString() }], run: r.chance(0.2) }),
        () => ({ question: this.hostileString() }),
        () => this.value(),
      ])();
    }
    return this.value();
  }

  private param(): string {
    const r = this.rng;
    return r.pick([
      () => this.conversations.length ? r.pick(this.conversations) : 'c0ffee00c0ffee00c0ffee00c0ffee00',
      () => crypto.randomUUID(), () => r.text(32, '0123456789abcdef'), () => '%zz', () => '%E0%A4%A', () => '%C0%80', () => '%00',
      () => '..', () => '%2e%2e', () => '%2F', () => 'a'.repeat(r.int(300, 6000)), () => encode(this.hostileString()).slice(0, 2000),
    ])();
  }

  private pathValue(): string {
    const r = this.rng;
    return r.pick([
      () => join(this.root, r.text(r.int(1, 8))), () => join(this.root, 'w1', r.text(3)), () => this.root, () => '/etc', () => '/etc/passwd',
      () => `${this.root}/../..`, () => 'relative/x', () => `${this.root}/\u0000`, () => '', () => `${this.root}/${'d/'.repeat(r.int(50, 400))}f`,
      () => this.hostileString(),
    ])();
  }

  private query(): string {
    const r = this.rng;
    const names = ['path', 'limit', 'page_id', 'sort_order', 'kind__eq', 'command_id__eq', 'timestamp__gte', 'timestamp__lt', 'order__gt', 'status',
      'ids', 'include_hidden', 'format', 'base_ref', 'exclude', 'ref', 'commit', 'kind', 'source', 'body', 'include_skills', 'resend_mode', 'x%zz', '%ff'];
    const parts: string[] = [];
    for (let i = r.int(0, 4); i > 0; i--) {
      const name = r.pick(names);
      const raw = name === 'path' ? this.pathValue() : r.pick([() => String(r.int(-5, 200)), () => this.hostileString(), () => '2026-01-01T00:00:00', () => 'TIMESTAMP_DESC', () => 'true', () => '-rf'])();
      const value = r.chance(0.1) ? r.pick(['%zz', '%', '%E0%A4%A']) : encode(raw).slice(0, 20_000);
      parts.push(r.chance(0.05) ? name : `${name}=${value}`);
    }
    return parts.length ? `?${parts.join('&')}` : '';
  }

  private static readonly ROUTES: [string[], string][] = [
    [['GET'], '/'], [['GET'], '/server_info'], [['GET'], '/alive'], [['GET'], '/ready'], [['GET'], '/openapi.json'], [['GET'], '/docs'], [['GET'], '/redoc'],
    [['POST'], '/api/bash/start_bash_command'], [['POST'], '/api/bash/execute_bash_command'], [['GET'], '/api/bash/bash_events/search'],
    [['GET'], '/api/bash/bash_events/{id}'], [['GET'], '/api/bash/bash_events'], [['DELETE'], '/api/bash/bash_events'],
    [['POST'], '/api/file/upload'], [['GET'], '/api/file/download'], [['POST'], '/api/file/create_directory'], [['GET'], '/api/file/home'],
    [['GET'], '/api/file/search_subdirs'], [['GET'], '/api/file/archive'], [['GET'], '/api/git/changes'], [['GET'], '/api/git/diff'],
    [['GET'], '/api/git/commits'], [['GET'], '/api/git/commits/{id}/changes'],
    [['POST'], '/api/conversations'], [['GET'], '/api/conversations/search'], [['GET'], '/api/conversations/count'], [['GET'], '/api/conversations'],
    [['GET', 'PATCH', 'DELETE'], '/api/conversations/{id}'], [['POST'], '/api/conversations/{id}/run'], [['POST'], '/api/conversations/{id}/pause'],
    [['POST'], '/api/conversations/{id}/interrupt'], [['POST'], '/api/conversations/{id}/secrets'], [['POST'], '/api/conversations/{id}/confirmation_policy'],
    [['POST'], '/api/conversations/{id}/security_analyzer'], [['POST'], '/api/conversations/{id}/ask_agent'], [['POST'], '/api/conversations/{id}/fork'],
    [['POST'], '/api/conversations/{id}/condense'], [['GET'], '/api/conversations/{id}/agent_final_response'],
    [['GET'], '/api/conversations/{id}/events/search'], [['GET'], '/api/conversations/{id}/events/count'], [['GET'], '/api/conversations/{id}/events/{id}'],
    [['GET', 'POST'], '/api/conversations/{id}/events'], [['POST'], '/api/conversations/{id}/events/respond_to_confirmation'],
  ];

  /** One HTTP case: method, path (with query), headers, body. */
  http(key: string): { method: string; path: string; headers: Record<string, string>; body?: Buffer; template: string } {
    const r = this.rng;
    const [methods, template] = r.pick(Generator.ROUTES);
    const method = r.chance(0.85) ? r.pick(methods) : r.pick(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'PROPFIND']);
    let path = template.replace(/\{id\}/g, () => this.param()) + this.query();
    if (r.chance(0.03)) path = r.pick(['//api//bash', '/api/%zz', `/${'x'.repeat(r.int(100, 8000))}`, '/api/bash/../file/home', '/sockets/events/x']);
    const headers: Record<string, string> = {};
    const auth = r.next();
    if (auth < 0.9) headers['X-Session-API-Key'] = key;
    else if (auth < 0.95) headers['X-Session-API-Key'] = r.pick(['', 'wrong', `${key}x`, key.slice(0, -1)]);
    let body: Buffer | undefined;
    const shape = r.next();
    if (method === 'GET' && r.chance(0.7) && !template.endsWith('/events') && template !== '/api/bash/bash_events') {
      body = undefined;
    } else if (template === '/api/file/upload' && shape < 0.7) {
      const boundary = r.pick(['b0undary', 'x', '']);
      const parts = [
        () => `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="f"\r\n\r\n${r.text(r.int(0, 2000))}\r\n--${boundary}--\r\n`,
        () => `--${boundary}\r\nContent-Disposition: form-data; name="other"\r\n\r\nv\r\n--${boundary}--\r\n`,
        () => `--${boundary}\r\nContent-Disposition: form-data; name="file"\r\n\r\nunterminated`,
        () => r.bytes(r.int(0, 3000)).toString('latin1'),
      ];
      body = Buffer.from(r.pick(parts)(), 'latin1');
      headers['Content-Type'] = r.pick([`multipart/form-data; boundary=${boundary}`, 'multipart/form-data', 'application/json']);
    } else if (shape < 0.65) {
      body = Buffer.from(serialize(this.body(template)));
      headers['Content-Type'] = r.pick(['application/json', 'application/json; charset=utf-8', 'application/vnd.api+json', 'application/json; charset=latin9']);
    } else if (shape < 0.85) {
      const json = serialize(this.body(template));
      body = Buffer.from(r.pick([json.slice(0, Math.max(1, json.length - r.int(1, 5))), `${json}}`, `{"a":${'['.repeat(r.int(1, 5000))}`, '{"a":1e99999}', '\ufeff{}', '{"a":"\\ud800"}', '']));
      headers['Content-Type'] = 'application/json';
    } else {
      body = r.bytes(r.int(0, 4000));
      headers['Content-Type'] = r.pick(['application/octet-stream', 'text/plain', 'application/json', 'application/x-www-form-urlencoded']);
      if (r.chance(0.2)) headers['Content-Encoding'] = r.pick(['gzip', 'deflate', 'br', 'x-unknown']);
    }
    return { method, path, headers, body, template };
  }

  /** One socket case: a path, handshake headers, and the frames sent after the handshake. */
  ws(key: string): { path: string; headers: Record<string, string>; frames: Buffer[] } {
    const r = this.rng;
    const conversation = this.conversations.length && r.chance(0.5) ? r.pick(this.conversations) : this.param();
    let path = r.pick([`/sockets/bash-events${r.pick(['', '?resend_mode=all', '?resend_mode=bad', '?resend_all=true'])}`,
      `/sockets/events/${conversation}${r.pick(['', '?resend_mode=all', '?resend_mode=since&after_timestamp=x', '?resend_mode=since&after_timestamp=2026-01-01T00:00:00'])}`]);
    const headers: Record<string, string> = {};
    const frames: Buffer[] = [];
    const auth = r.int(0, 4);
    if (auth === 0) headers['X-Session-API-Key'] = key;
    else if (auth === 1) path += `${path.includes('?') ? '&' : '?'}session_api_key=${r.chance(0.8) ? key : 'wrong'}`;
    else if (auth === 2) frames.push(frame(0x1, JSON.stringify({ type: 'auth', session_api_key: r.chance(0.8) ? key : 'nope' })));
    const text = (): string => {
      if (path.startsWith('/sockets/bash-events')) {
        return serialize(r.pick([() => ({ command: r.pick(SAFE_COMMANDS), timeout: 5 }), () => ({ command: `x\u0000` }), () => this.value()])());
      }
      return serialize(r.pick([() => ({ role: 'user', content: [{ type: 'text', text: 'hi' }] }), () => this.value()])());
    };
    for (let i = r.int(1, 4); i > 0; i--) {
      frames.push(r.pick([
        () => frame(0x1, text()),
        () => frame(0x1, text(), { mask: false }),
        () => frame(r.pick([0x3, 0x4, 0x5, 0x6, 0x7, 0xb, 0xc, 0xd, 0xe, 0xf]), r.bytes(r.int(0, 20))),
        () => frame(0x1, 'x', { rsv: r.int(1, 7) }),
        () => frame(0x1, Buffer.from([0xc3, 0x28, 0xa0, 0xa1, 0xff])),
        () => frame(0x2, r.bytes(r.int(0, 500))),
        () => frame(0x2, Buffer.alloc(8), { declaredLength: r.pick([2 * 1024 * 1024, 2 ** 40, 2 ** 53]) }),
        () => frame(0x0, 'orphan continuation'),
        () => Buffer.concat([frame(0x1, '{"a":', { fin: false }), frame(0x1, '1}')]),
        () => frame(0x9, r.bytes(r.int(126, 300))), // control frame too long
        () => frame(0x9, 'x', { fin: false }),
        () => frame(0x8, Buffer.from([0x03, r.pick([0x00, 0xe7, 0xed])])), // invalid close codes
        () => frame(0x8, Buffer.concat([Buffer.from([0x03, 0xe8]), Buffer.from([0xff, 0xfe])])), // invalid UTF-8 reason
        () => frame(0x8, Buffer.from([0x03])),
        () => r.bytes(r.int(1, 64)),
        () => frame(0x1, `{"a":${'['.repeat(r.int(100, 50_000))}`),
        () => frame(0x1, 'y'.repeat(r.int(60_000, 900_000))),
      ])());
    }
    return { path, headers, frames };
  }
}

/**
 * A deliberate 5xx the protocol defines: ask_agent's 500 (OpenHands answers a model failure so; like
 * every 500 here, bare: `Internal Server Error` and an error id, nothing internal). The run cap is a 429.
 */
function protocolServerError(path: string, o: Outcome): boolean {
  return o.status === 500 && /\/ask_agent(\?|$)/.test(path) && /^\{"detail":"Internal Server Error","error_id":"[0-9a-f]+"\}$/.test(o.body);
}

describe('hostile-input suite (seeded)', () => {
  let server: TestServer;
  let root: string;
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'fuzz-root-'));
    for (let i = 0; i < 6; i++) mkdirSync(join(root, `w${i}`));
    server = await startServer({ env: {
      AGENT_SERVER_FILE_ROOTS_0: root, LLM_BASE_URL: DEAD_LLM, LLM_MODEL: 'openai/fuzz', AGENT_SERVER_BASH_KILL_GRACE_MS: '200',
    } });
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it(`survives thousands of malformed requests and frames: no exit, no 5xx, bounded memory (seed ${SEED})`, async () => {
    console.log(`hostile-input suite: FUZZ_SEED=${SEED}`);
    const rng = new Prng(SEED);
    const gen = new Generator(rng, root);
    const key = server.key as string;
    const pid = server.process.pid as number;
    const serverErrors: string[] = [];
    const hangs: string[] = [];
    const started = Date.now();
    let sent = 0;
    let sockets = 0;
    const statuses = new Map<number, number>();

    const runHttp = async () => {
      const c = gen.http(key);
      const out = await rawHttp(server.url, c.method, c.path, c.headers, c.body);
      sent++;
      statuses.set(out.status, (statuses.get(out.status) ?? 0) + 1);
      if (out.status === -1) hangs.push(`${c.method} ${c.path.slice(0, 200)} (${c.body?.length ?? 0} bytes of body)`);
      if (out.status >= 500 && !protocolServerError(c.path, out)) serverErrors.push(`${out.status} ${c.method} ${c.path.slice(0, 200)}: ${out.body.slice(0, 300)}`);
      if (out.status === 201 && c.template === '/api/conversations') {
        const id = /^\{"id":"([0-9a-f-]{32,36})"/.exec(out.body)?.[1]; // the body is cut at 4 KiB
        if (id) gen.conversations.push(id);
      }
    };
    const runWs = async () => {
      const c = gen.ws(key);
      const ws = await rawWebSocket(server.url, c.path, c.headers);
      sent++;
      if (ws.status >= 500) serverErrors.push(`${ws.status} WS ${c.path}`);
      if (ws.status !== 101) return;
      sockets++;
      for (const bytes of c.frames) ws.send(bytes);
      // A ping answered or the socket closed: the server has dealt with everything before it. A frame that
      // declared more bytes than were sent leaves the server waiting: that case ends at the bound.
      ws.send(frame(0x9, 'probe'));
      const bound = setTimeout(() => ws.socket.destroy(), 3000);
      await Promise.race([ws.closed, new Promise<void>((resolve) => {
        const check = () => (ws.frames.some((f) => f.opcode === 0xa) ? resolve() : undefined);
        ws.socket.on('data', check);
        check();
      })]);
      clearTimeout(bound);
      ws.socket.destroy();
    };

    // Three rounds of the same generator. The first two take the server from fresh to the footprint this
    // traffic needs (modules loaded, code compiled, V8's young generation and the allocator's arenas grown:
    // 100 to 200 MB over a fresh process, which V8 gives back only when it chooses), so the baseline is taken
    // after them; what the third round adds on top of it is what the traffic keeps.
    const run = async (httpCount: number, wsCount: number) => {
      let http = httpCount;
      let wsLeft = wsCount;
      await Promise.all(Array.from({ length: PARALLEL }, async () => {
        while ((http > 0 || wsLeft > 0) && Date.now() - started < DEADLINE_MS) {
          if (wsLeft > 0 && (http === 0 || rng.chance(wsCount / (httpCount + wsCount)))) {
            wsLeft--;
            await runWs();
          } else {
            http--;
            await runHttp();
          }
          if (server.process.exitCode !== null || server.process.signalCode !== null) throw new Error(`server exited (seed ${SEED})\n${server.logs().slice(-4000)}`);
        }
      }));
    };
    const fresh = rssBytes(pid);
    await run(HTTP_CASES, WS_CASES);
    await run(HTTP_CASES, WS_CASES);
    const baseline = rssBytes(pid);
    await run(HTTP_CASES, WS_CASES);
    const peak = peakRssBytes(pid);
    const loaded = rssBytes(pid);
    const alive = await rawHttp(server.url, 'GET', '/alive', {});
    // Once the traffic stops, V8 gives back the heap the garbage took (its memory reducer runs when the
    // allocation rate falls): wait for that, up to a bound. Memory still held then is held for good.
    let end = loaded;
    const settleBy = Date.now() + 60_000;
    while (mib(end - baseline) >= 50 && Date.now() < settleBy) {
      await rawHttp(server.url, 'GET', '/alive', {}); // a light request a second: the server's timers and tasks keep running
      await new Promise((resolve) => setTimeout(resolve, 1000));
      end = rssBytes(pid);
    }
    // Every socket the suite opened is gone on the server too.
    await waitFor(async () => !/^agent_server_websocket_connections\{[^}]*\} [1-9]/m.test(await fetch(`${server.url}/metrics`, { headers: { 'X-Session-API-Key': server.key ?? '' } }).then((r) => r.text())), 'the server to close every socket');

    console.log(`hostile-input suite (seed ${SEED}): ${sent} cases (${sockets} sockets upgraded) in ${Math.round((Date.now() - started) / 1000)} s; `
      + `HTTP statuses ${JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])))}; ${gen.conversations.length} conversations created; ${serverErrors.length} 5xx; ${hangs.length} unanswered; crashes ${server.process.exitCode === null ? 0 : 1}; RSS fresh ${mib(fresh)} MiB, after two rounds ${mib(baseline)} MiB, peak ${mib(peak)} MiB, at the last case ${mib(loaded)} MiB, end ${mib(end)} MiB (${mib(end - baseline) >= 0 ? '+' : ''}${mib(end - baseline)} MiB)`);
    expect(server.process.exitCode).toBeNull();
    expect(alive.status).toBe(200);
    expect(serverErrors).toEqual([]);
    expect(hangs).toEqual([]);
    expect(sent).toBeGreaterThan(1000);
    expect(mib(peak)).toBeLessThan(1024);
    expect(mib(end - baseline)).toBeLessThan(50);
  });
});
