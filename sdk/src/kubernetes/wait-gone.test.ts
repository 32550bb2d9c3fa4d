// waitUntilGone against a fake watch: an object already gone resolves without a watch; a foreground deletion in
// progress (deletionTimestamp, children first) resolves on the DELETED event; a watch answered 410 Gone relists
// and a 404 then means gone; a deletion that never completes times out with TimeoutError.
import { describe, expect, it } from '@jest/globals';
import { silentLogger } from '../logger.js';
import { TimeoutError } from '../remote/errors.js';
import { fakeWatch } from './fake-watch.testkit.js';
import type { AgentWorkspaceObject } from './follow-object.js';
import { waitUntilGone } from './wait-gone.js';

const deleting = (rv: string): AgentWorkspaceObject => ({ metadata: { name: 'w', namespace: 'ns', resourceVersion: rv, deletionTimestamp: '2026-12-02T00:00:00Z' } });
const notFound = () => Object.assign(new Error('HTTP-Code: 404'), { code: 404, body: '{"message":"not found"}' });
const base = { name: 'w', namespace: 'ns', collectionPath: '/apis/x', timeoutMs: 10_000, logger: silentLogger };

describe('waitUntilGone', () => {
  it('resolves at once, without watching, when the object is already gone', async () => {
    const { watch, queries } = fakeWatch([]);
    await waitUntilGone({ ...base, watch, get: async () => { throw notFound(); } });
    expect(queries).toEqual([]);
  });

  it('follows a deletion in progress from its resourceVersion until DELETED', async () => {
    const { watch, queries } = fakeWatch([(emit) => { emit('MODIFIED', deleting('11')); emit('DELETED', deleting('12')); }]);
    await waitUntilGone({ ...base, watch, get: async () => deleting('10') });
    expect(queries[0]).toMatchObject({ fieldSelector: 'metadata.name=w', resourceVersion: '10' });
  });

  it('after 410 Gone relists: a 404 then means gone', async () => {
    const gets: Array<() => AgentWorkspaceObject> = [() => deleting('10'), () => { throw notFound(); }];
    const { watch } = fakeWatch([(emit) => emit('ERROR', { code: 410, reason: 'Expired' })]);
    await waitUntilGone({ ...base, watch, get: async () => gets.shift()!() });
    expect(gets).toEqual([]);
  });

  it('a deletion that does not complete in time is a TimeoutError naming the workspace', async () => {
    const { watch } = fakeWatch([(emit) => emit('MODIFIED', deleting('11'))]);
    const err = await waitUntilGone({ ...base, timeoutMs: 50, watch, get: async () => deleting('10') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect((err as Error).message).toContain('ns/w');
  });
});
