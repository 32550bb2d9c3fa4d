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
    expect(loadEvents(dir)).toEqual(events);
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
