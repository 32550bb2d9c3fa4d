import { describe, expect, it } from '@jest/globals';
import { FULL_STATE_KEY, makeEvent, type Event } from '@agentworkspace/sdk';
import type { ConversationListener, HostedConversation } from './hosted-conversation.js';
import type { SessionFrame } from './session-frames.js';
import { SessionStream } from './session-stream.js';

/** The part of a HostedConversation a stream uses: an in-memory log and its subscribers. */
class FakeHosted {
  readonly log: Event[] = [];
  readonly listeners = new Set<ConversationListener>();
  subscribe(l: ConversationListener) {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
  events() { return this.log; }
  seqOf(id: string) {
    const i = this.log.findIndex((e) => e.id === id);
    return i < 0 ? undefined : i;
  }
  append(n: number) {
    const e = makeEvent({ kind: 'ConversationStateUpdateEvent', key: 'n', value: n });
    this.log.push(e);
    for (const l of this.listeners) l.event(e, true);
  }
  snapshot() {
    const e = makeEvent({ kind: 'ConversationStateUpdateEvent', key: FULL_STATE_KEY, value: {} });
    for (const l of this.listeners) l.event(e, false);
  }
}

function stream(afterSeq: bigint | null, opts: { accept?: number } = {}) {
  const hosted = new FakeHosted();
  for (let i = 0; i < 3; i++) hosted.append(i);
  const frames: SessionFrame[] = [];
  let state = 0;
  const s = new SessionStream({
    hosted: hosted as unknown as HostedConversation, afterSeq,
    sink: { send: (f) => (frames.length < (opts.accept ?? Infinity) ? (frames.push(f), true) : false) },
    snapshot: () => ({ state: ++state }),
    onClosed: () => undefined,
  });
  const shape = () => frames.map((f) => (f.type === 'durable' ? `durable ${f.seq}` : f.type === 'transient' ? `transient ${JSON.stringify(f.event.value)}` : JSON.stringify(f, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))));
  return { hosted, s, shape };
}

describe('SessionStream', () => {
  it('live only: sync with the mark, the snapshot of subscribing, then every event as it comes, live snapshots made when sent', async () => {
    const { hosted, s, shape } = stream(null);
    expect(await s.start()).toBe(true);
    hosted.append(3);
    hosted.snapshot();
    expect(shape()).toEqual(['{"type":"sync","through_seq":2}', 'transient {"state":1}', 'durable 3', 'transient {"state":2}']);
  });

  it('after_seq: the log above it, then what was published during the replay (buffered), in order', async () => {
    const { hosted, s, shape } = stream(0n);
    const started = s.start();
    hosted.append(3); // published while the replay is under way
    expect(await started).toBe(true);
    hosted.append(4);
    expect(shape()).toEqual(['{"type":"sync","from_seq":"0n","through_seq":2}', 'durable 1', 'durable 2', 'transient {"state":1}', 'durable 3', 'durable 4']);
  });

  it('-1 replays everything; a cursor past the end replays nothing', async () => {
    const all = stream(-1n);
    await all.s.start();
    expect(all.shape().filter((f) => f.startsWith('durable'))).toEqual(['durable 0', 'durable 1', 'durable 2']);
    const beyond = stream(1000n);
    await beyond.s.start();
    expect(beyond.shape()).toEqual(['{"type":"sync","from_seq":"1000n","through_seq":2}', 'transient {"state":1}']);
  });

  it('a frame the sink refuses ends the stream and its subscription', async () => {
    const { hosted, s } = stream(-1n, { accept: 2 });
    expect(await s.start()).toBe(false);
    expect(hosted.listeners.size).toBe(0);
  });
});
