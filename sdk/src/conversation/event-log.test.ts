import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeEvent, type Event } from '../events/event.js';
import { EventLog } from './event-log.js';
import { ensureDir, eventFileName, loadEvents, PersistenceError } from './persistence.js';

let dir: string;
beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'log-')); ensureDir(dir); });
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('EventLog', () => {
  it('writes each event file before any subscriber sees the event, and reloads them in order', () => {
    const log = new EventLog(dir);
    const seenOnDisk: boolean[] = [];
    log.subscribe((e) => seenOnDisk.push(existsSync(join(dir, 'events', eventFileName(log.indexOf(e.id), e.id)))));
    const events = [makeEvent({ kind: 'PauseEvent' }), makeEvent({ kind: 'CondensationRequest' }), makeEvent({ kind: 'InterruptEvent' })];
    events.forEach((e) => log.append(e));
    expect(seenOnDisk).toEqual([true, true, true]);
    expect(readdirSync(join(dir, 'events')).sort()).toEqual(events.map((e, i) => eventFileName(i, e.id)));
    // Each event is stamped with its parent (the one before; the first has none), as OpenHands' event tree.
    const stamped = events.map((e, i) => ({ ...e, parent_id: i === 0 ? null : events[i - 1]!.id }));
    expect(log.all()).toEqual(stamped);
    expect(loadEvents(dir)).toEqual(stamped);
    expect(log.leafId).toBe(events[2]!.id);
  });

  it('stamps parent_id with the head: state updates never become it, "__root__" after only state updates, a given parent is kept', () => {
    const log = new EventLog(dir);
    const update = log.append(makeEvent({ kind: 'ConversationStateUpdateEvent', key: 'stats', value: {} }));
    expect(update.parent_id).toBeNull();
    const first = log.append(makeEvent({ kind: 'PauseEvent' }));
    expect(first.parent_id).toBe('__root__');
    expect(log.append(makeEvent({ kind: 'ConversationStateUpdateEvent', key: 'stats', value: {} })).parent_id).toBe(first.id);
    expect(log.append(makeEvent({ kind: 'InterruptEvent' })).parent_id).toBe(first.id);
    const given = log.append(makeEvent({ kind: 'PauseEvent', parent_id: first.id }));
    expect(given.parent_id).toBe(first.id);
    expect(new EventLog(dir, loadEvents(dir)).leafId).toBe(given.id);
  });

  it('publishes transient events without persisting them, isolates failing subscribers, and refuses duplicate ids', () => {
    const warnings: string[] = [];
    const log = new EventLog(dir, [], { debug() {}, info() {}, error() {}, warn: (_o, m) => warnings.push(m ?? '') });
    const got: Event[] = [];
    log.subscribe(() => { throw new Error('bad subscriber'); });
    const off = log.subscribe((e) => got.push(e));
    log.publish(makeEvent({ kind: 'ConversationStateUpdateEvent', key: 'full_state', value: {} }));
    const e = log.append(makeEvent({ kind: 'PauseEvent' }));
    expect(got).toHaveLength(2);
    expect(log.length).toBe(1);
    expect(warnings).toEqual(['event subscriber threw', 'event subscriber threw']);
    expect(() => log.append(e)).toThrow(/duplicate event id/);
    off();
    log.append(makeEvent({ kind: 'PauseEvent' }));
    expect(got).toHaveLength(2);
  });

  it('reload ignores leftover temp files and names a corrupt event file', () => {
    const log = new EventLog(dir);
    log.append(makeEvent({ kind: 'PauseEvent' }));
    writeFileSync(join(dir, 'events', 'event-00001-x.json.123.tmp'), '{"half');
    expect(loadEvents(dir)).toHaveLength(1);
    expect(readdirSync(join(dir, 'events')).some((f) => f.endsWith('.tmp'))).toBe(false);
    writeFileSync(join(dir, 'events', eventFileName(1, 'bad')), JSON.stringify({ kind: 'PauseEvent', surprise: true }));
    expect(() => loadEvents(dir)).toThrow(PersistenceError);
    expect(() => loadEvents(dir)).toThrow(/event-00001-bad\.json is invalid/);
  });
});
