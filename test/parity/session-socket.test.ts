// WS /sockets/session/{id} side by side (#17 item 8): the same scripted conversation on the official agent server
// 1.58.2 and on ours, and the same session-socket clients against each: a live subscriber through the run, a full
// replay (after_seq=-1), a resume (after_seq=2), a cursor past the end, the refusals and closes (unknown
// conversation, a path that is not a UUID, an after_seq that is not an integer, the subscriber limit), hostile
// client frames (not JSON, binary, not a message, over the frame limit) and a consumer that stops reading. Frames
// are compared by shape (type, seq, event kind and state key; error codes); every difference fails, printing the
// official server's frames beside ours.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { ScriptedServer } from '@agentworkspace/sdk';
import { agentSpec, scratchDir, scriptedLLM, userMessage } from '../integration/conversations-harness.js';
import { call, startServer, type TestServer } from '../support/server.js';
import { frameShape, SessionClient, type Ending } from '../support/session-client.js';
import { waitFor } from '../support/wait.js';
import { startOfficialServer } from './official-server.js';
import { describeWithPython, runPython } from './python.js';

jest.setTimeout(600_000);

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const turns = [
  { tool_calls: [{ name: 'terminal', arguments: { command: 'echo hello-session' } }] },
  { tool_calls: [{ name: 'finish', arguments: { message: 'printed' } }], expect_tool_result_contains: 'hello-session' },
];

const isFinishedSnapshot = (f: Json) => f.type === 'transient' && f.event.key === 'full_state' && f.event.value?.execution_status === 'finished';
const isStats = (f: Json) => f.type === 'durable' && f.event.key === 'stats';
/**
 * The frames' shapes, `stats` updates aside: where the official server appends them is a race (its stats callback
 * waits for the lock the step holds; runs saw them both before and after the step's action), so only their number
 * is compared, and every other frame in order without its seq (which the stats shift).
 */
const shapes = (c: SessionClient) => ({
  frames: c.frames.filter((f) => !isStats(f)).map((f) => ({ ...frameShape(f), seq: undefined })),
  stats: c.frames.filter(isStats).length,
});

async function createConversation(server: TestServer, model: { url: string }): Promise<string> {
  const res = await call<Json>(server, 'POST', '/api/conversations', {
    json: { agent: agentSpec(model, { tools: ['terminal'] }), workspace: { kind: 'LocalWorkspace', working_dir: scratchDir('session-socket') }, autotitle: false },
  });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

/** A client that reads until the frame `done` matches (or the socket ends), then closes. */
async function readUntil(server: TestServer, path: string, done: (f: Json) => boolean): Promise<SessionClient> {
  const client = new SessionClient(server, path);
  await client.waitForFrame(done, `a frame ending ${path}`);
  await client.close();
  return client;
}

async function ending(server: TestServer, path: string): Promise<Ending> {
  const client = new SessionClient(server, path);
  return client.ended;
}

/** Everything one server answers to the same script. */
async function drive(server: TestServer, model: ScriptedServer, streamModel: ScriptedServer): Promise<Json> {
  const id = await createConversation(server, model);
  const out: Json = { id };
  const live = new SessionClient(server, `/sockets/session/${id}`);
  await live.waitForFrame((f) => f.type === 'transient', 'the snapshot of subscribing');
  const sent = await call(server, 'POST', `/api/conversations/${id}/events`, { json: { ...userMessage('Print the greeting with echo.'), run: true } });
  expect(sent.status).toBe(200);
  await live.waitForFrame(isFinishedSnapshot, 'the full_state of the finished run');
  // The tools the agent offered the model: which take a security_risk, and its schema (OpenAI dialect).
  out.risk = Object.fromEntries((model.seenTools[0] as Json[]).map((t) => [t.function.name, {
    property: t.function.parameters.properties.security_risk ?? null, required: (t.function.parameters.required ?? []).includes('security_risk'),
  }]));
  const search = await call<Json>(server, 'GET', `/api/conversations/${id}/events/search?limit=100`);
  out.eventIds = (search.body.items as Json[]).map((e) => e.id);
  out.live = live;

  // A streaming model: the reply's progress (item_started, deltas) before the message that retires it.
  const streamed = await call<Json>(server, 'POST', '/api/conversations', {
    json: { agent: agentSpec(streamModel, { tools: ['terminal'], stream: true }), workspace: { kind: 'LocalWorkspace', working_dir: scratchDir('session-stream') }, autotitle: false },
  });
  const streamId = streamed.body.id as string;
  const watcher = new SessionClient(server, `/sockets/session/${streamId}`);
  await watcher.waitForFrame((f) => f.type === 'transient', 'the snapshot of subscribing');
  await call(server, 'POST', `/api/conversations/${streamId}/events`, { json: { ...userMessage('Say something.'), run: true } });
  await watcher.waitForFrame(isFinishedSnapshot, 'the full_state of the finished streamed run');
  await watcher.close();
  out.streamed = watcher;

  const snapshot = (f: Json) => f.type === 'transient';
  out.replay = await readUntil(server, `/sockets/session/${id}?after_seq=-1`, snapshot);
  out.resume = await readUntil(server, `/sockets/session/${id}?after_seq=2`, snapshot);
  out.beyond = await readUntil(server, `/sockets/session/${id}?after_seq=1000`, snapshot);
  out.huge = await readUntil(server, `/sockets/session/${id}?after_seq=99999999999999999999999`, snapshot);
  out.closes = {
    unknown: await ending(server, '/sockets/session/0b5a6b1e-6ae0-4bd3-9d36-5b1b3d9c3c1a'),
    not_uuid: await ending(server, '/sockets/session/not-a-uuid'),
    bad_after_seq: await ending(server, `/sockets/session/${id}?after_seq=abc`),
    float_after_seq: await ending(server, `/sockets/session/${id}?after_seq=1.5`),
    empty_after_seq: await ending(server, `/sockets/session/${id}?after_seq=`),
  };

  const hostile = new SessionClient(server, `/sockets/session/${id}`);
  await hostile.waitForFrame((f) => f.type === 'transient', 'the snapshot of subscribing');
  hostile.send('not json');
  hostile.send(Buffer.from('{"role":"user"}'));
  hostile.send('[1, 2]');
  hostile.send(JSON.stringify({ type: 'auth', session_api_key: 'whatever' }));
  hostile.send('{"content": 7}');
  await waitFor(() => hostile.frames.filter((f) => f.type === 'error').length >= 4, 'four error frames');
  out.hostile = hostile;
  const oversize = new SessionClient(server, `/sockets/session/${id}`);
  await oversize.waitForFrame((f) => f.type === 'transient', 'the snapshot of subscribing');
  oversize.send('x'.repeat(17 * 1024 * 1024));
  out.oversize = await oversize.ended;
  await hostile.close();
  out.aliveAfter = (await call(server, 'GET', '/alive')).status;

  await live.close();

  // The subscriber limit (50, the server's own subscribers counted), on a conversation no other client has seen
  // (a closed socket is unsubscribed a moment after its close): sockets are added until one is refused.
  const quiet = await createConversation(server, model);
  const crowd: SessionClient[] = [];
  for (let i = 0; i < 55 && !out.overLimit; i++) {
    const client = new SessionClient(server, `/sockets/session/${quiet}`);
    const ended = await Promise.race([client.waitForFrame((f) => f.type === 'transient', 'a subscriber').then(() => null), client.ended]);
    if (ended) out.overLimit = { admitted: i, ending: ended, frames: client.frames.map(frameShape) };
    else crowd.push(client);
  }
  await Promise.all(crowd.map((c) => c.close()));
  return out;
}

describeWithPython('/sockets/session/{id}: the official agent server 1.58.2 and ours, same clients', () => {
  const servers: TestServer[] = [];
  const models: ScriptedServer[] = [];
  const result: { official: Json; ours: Json } = { official: {}, ours: {} };
  beforeAll(async () => {
    const [official, ours] = await Promise.all([startOfficialServer(), startServer()]);
    servers.push(official, ours);
    for (const [side, server] of [['official', official], ['ours', ours]] as const) {
      const model = await scriptedLLM({ turns: turns as never });
      const streamModel = await scriptedLLM({ turns: [{ text: 'Here is a streamed answer in several words.' }] });
      models.push(model, streamModel);
      result[side] = await drive(server, model, streamModel);
      expect(model.player.violations).toEqual([]);
      expect(streamModel.player.violations).toEqual([]);
    }
  });
  afterAll(async () => {
    await Promise.all([...servers.map((s) => s.stop()), ...models.map((m) => m.close())]);
  });

  /** Fails with the official value beside ours when they differ. */
  const same = (what: string, pick: (side: Json) => unknown) => {
    const official = pick(result.official);
    const ours = pick(result.ours);
    if (JSON.stringify(official) !== JSON.stringify(ours)) {
      throw new Error(`${what} differs\nexpected (official):\n${JSON.stringify(official, null, 1)}\nseen (ours):\n${JSON.stringify(ours, null, 1)}`);
    }
  };

  it('every frame either server sent matches the frame schemas', () => {
    for (const side of [result.official, result.ours]) {
      for (const key of ['live', 'streamed', 'replay', 'resume', 'beyond', 'huge', 'hostile']) expect((side[key] as SessionClient).invalid).toEqual([]);
    }
  });

  it('a live subscriber: sync (through_seq), the snapshot of subscribing, then the run as durable frames with consecutive seqs', () => {
    same('the live frames', (s) => shapes(s.live));
    for (const side of [result.official, result.ours]) {
      const durable = (side.live as SessionClient).frames.filter((f) => f.type === 'durable');
      durable.forEach((f, i) => {
        expect(f.seq).toBe((durable[0]?.seq as number) + i);
        expect(f.event.id).toBe(side.eventIds[f.seq]);
      });
    }
  });

  it('after_seq=-1 replays the whole log, seq = index in the log, then goes live with the snapshot', () => {
    same('the full replay', (s) => shapes(s.replay));
    for (const side of [result.official, result.ours]) {
      const durable = (side.replay as SessionClient).frames.filter((f) => f.type === 'durable');
      expect(durable.map((f) => f.seq)).toEqual(side.eventIds.map((_: string, i: number) => i));
      expect(durable.map((f) => f.event.id)).toEqual(side.eventIds);
    }
  });

  it('after_seq resumes after the cursor; a cursor past the end (or beyond any integer size) replays nothing and is echoed', () => {
    same('the resume from 2', (s) => shapes(s.resume));
    same('a cursor past the end', (s) => shapes(s.beyond));
    same('a 23-digit cursor', (s) => shapes(s.huge));
  });

  it('a streaming model: item_started, deltas in order, then the MessageEvent whose id is the item_id; the text is the message\'s', () => {
    same('the streamed run\'s frames', (s) => shapes(s.streamed));
    for (const side of [result.official, result.ours]) {
      const frames = (side.streamed as SessionClient).frames;
      const started = frames.filter((f) => f.type === 'item_started');
      expect(started).toHaveLength(1);
      const itemId = started[0]!.item_id;
      const message = frames.find((f) => f.type === 'durable' && f.event.kind === 'MessageEvent' && f.event.source === 'agent');
      expect(message?.type === 'durable' && message.event.id).toBe(itemId);
      const text = frames.filter((f) => f.type === 'delta' && f.item_id === itemId).map((f) => (f as { content: string }).content).join('');
      expect(text).toBe('Here is a streamed answer in several words.');
    }
  });

  it('security_risk: offered by the same tools (not read-only), with the same schema, optional', () => {
    same('the security_risk offered per tool', (s) => s.risk);
  });

  it('closes and refusals: unknown conversation 4004, a path or after_seq that does not parse refused at the handshake', () => {
    same('the closes', (s) => s.closes);
  });

  it('hostile client frames: error frames with the same codes, the socket open; a frame over 16 MiB closes 1009; the process lives', () => {
    same('the error frames', (s) => shapes(s.hostile));
    same('the oversize frame\'s close code', (s) => (s.oversize as { closed?: number }).closed);
    same('/alive afterwards', (s) => s.aliveAfter);
  });

  it('the subscriber over the limit (49 sockets with the server\'s own one) is closed 1013 before any frame', () => {
    same('the subscriber over the limit', (s) => s.overLimit);
  });
});

// A client that stops reading, in Python on a raw socket with a small receive buffer (Node cannot shrink one; with
// loopback's autotuned 32 MiB the kernel would hold much of the replay): it opens the socket with after_seq=-1,
// reads nothing until the test has seen the server drop it (the file `go` appears), then reads to the close frame.
const STALLED_CLIENT = String.raw`
import base64, json, os, socket, struct, sys, time
a = json.loads(sys.argv[1])
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
s.connect(("127.0.0.1", a["port"]))
key = base64.b64encode(os.urandom(16)).decode()
s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\nX-Session-API-Key: %s\r\n\r\n" % (a["path"], key, a["key"])).encode())
open(a["ready"], "w").close()
while not os.path.exists(a["go"]):
    time.sleep(0.05)
f = s.makefile("rb")
status = f.readline().decode().strip()
while f.readline() not in (b"\r\n", b""):
    pass
def read(n):
    b = f.read(n)
    if len(b) < n:
        raise EOFError
    return b
first = None
try:
    while True:
        h = read(2)
        op, n = h[0] & 0x0F, h[1] & 0x7F
        if n == 126: n = struct.unpack(">H", read(2))[0]
        elif n == 127: n = struct.unpack(">Q", read(8))[0]
        payload = read(n)
        if first is None and op == 1: first = json.loads(payload)
        if op == 8:
            print(json.dumps({"status": status, "closed": struct.unpack(">H", payload[:2])[0], "reason": payload[2:].decode(), "first": first}))
            break
except EOFError:
    print(json.dumps({"status": status, "closed": None, "first": first}))
`;

describe('a consumer that stops reading', () => {
  // More than the 16 MiB pending budget plus what the socket buffers hold.
  const MESSAGES = 80;
  const TEXT = 'y'.repeat(480 * 1024);

  describeWithPython('is dropped with 1013 slow_consumer by both servers', () => {
    const servers: TestServer[] = [];
    const endings: Json = {};
    beforeAll(async () => {
      const [official, ours] = await Promise.all([startOfficialServer(), startServer()]);
      servers.push(official, ours);
      const model = await scriptedLLM({ turns: [{ text: 'unused' }] });
      try {
        for (const [side, server, dropped] of [['official', official, /session_socket_slow_consumer/], ['ours', ours, /session socket dropped: slow_consumer/]] as const) {
          const id = await createConversation(server, model);
          for (let i = 0; i < MESSAGES; i++) {
            const res = await call(server, 'POST', `/api/conversations/${id}/events`, { json: { ...userMessage(`${i} ${TEXT}`), run: false } });
            expect(res.status).toBe(200);
          }
          const dir = scratchDir('stalled');
          const [ready, go] = [join(dir, 'ready'), join(dir, 'go')];
          const client = runPython<Json>(STALLED_CLIENT, { port: Number(new URL(server.url).port), key: server.key, path: `/sockets/session/${id}?after_seq=-1`, ready, go });
          await waitFor(() => existsSync(ready), 'the stalled client to connect');
          await waitFor(() => dropped.test(server.logs()), `the ${side} server to drop the consumer`, { timeoutMs: 120_000 });
          writeFileSync(go, '');
          const out = await client;
          endings[side] = { ...out, first: frameShape(out.first) };
          endings[side].alive = (await call(server, 'GET', '/alive')).status;
        }
      } finally {
        await model.close();
      }
    });
    afterAll(async () => {
      await Promise.all(servers.map((s) => s.stop()));
    });

    it('the same close (1013 slow_consumer) after the same sync frame; the server lives on', () => {
      expect(endings.ours).toEqual(endings.official);
      expect(endings.official).toEqual({ status: 'HTTP/1.1 101 Switching Protocols', closed: 1013, reason: 'slow_consumer', first: { type: 'sync', from_seq: -1, through_seq: MESSAGES * 2 }, alive: 200 });
    });
  });
});
