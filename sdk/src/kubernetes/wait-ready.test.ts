// waitForReady against a fake watch: a watch that breaks mid-wait resumes from the last resourceVersion it saw,
// a 410 Gone relists first, and the Ready condition's reasons end the wait with their classes.
import { describe, expect, it } from '@jest/globals';
import { silentLogger } from '../logger.js';
import { WorkspaceImagePullError, WorkspaceReadyTimeoutError, WorkspaceStoppedError, WorkspaceUnschedulableError } from './errors.js';
import { fakeWatch } from './fake-watch.testkit.js';
import { waitForReady, type AgentWorkspaceObject } from './wait-ready.js';

const obj = (rv: string, reason?: string, status = 'False', url?: string): AgentWorkspaceObject => ({
  metadata: { name: 'w', namespace: 'ns', generation: 1, resourceVersion: rv },
  status: reason ? { observedGeneration: 1, conditions: [{ type: 'Ready', status, reason, message: `${reason} now` }], ...(url ? { url } : {}) } : undefined,
});

const base = { name: 'w', namespace: 'ns', collectionPath: '/apis/x', timeoutMs: 10_000, waitWhileUnschedulable: true, logger: silentLogger };

describe('waitForReady', () => {
  it('resumes a broken watch from the last resourceVersion and resolves on Ready', async () => {
    const { watch, queries } = fakeWatch([
      (emit, done) => { emit('MODIFIED', obj('11', 'Starting')); done(new Error('socket hang up')); },
      (emit) => { emit('BOOKMARK', { metadata: { resourceVersion: '15' } }); emit('MODIFIED', obj('16', 'Running', 'True', 'http://w.ns.svc.cluster.local:8000')); },
    ]);
    const reasons: Array<string | undefined> = [];
    const ready = await waitForReady({ ...base, watch, get: async () => obj('10', 'Provisioning'), onProgress: (p) => reasons.push(p.reason) });
    expect(ready.status?.url).toBe('http://w.ns.svc.cluster.local:8000');
    expect(queries.map((q) => q.resourceVersion)).toEqual(['10', '11']);
    expect(queries[0]).toMatchObject({ fieldSelector: 'metadata.name=w', allowWatchBookmarks: true });
    expect(reasons).toEqual(['Provisioning', 'Starting', 'Running']);
  });

  it('relists after 410 Gone and watches from the fresh resourceVersion', async () => {
    const gets = [obj('10', 'Provisioning'), obj('40', 'Starting')];
    const { watch, queries } = fakeWatch([
      (emit) => emit('ERROR', { code: 410, reason: 'Expired' }),
      (emit) => emit('MODIFIED', obj('41', 'Running', 'True', 'http://u')),
    ]);
    await waitForReady({ ...base, watch, get: async () => gets.shift()! });
    expect(queries.map((q) => q.resourceVersion)).toEqual(['10', '40']);
  });

  it('a terminal reason rejects with its class, reason and message', async () => {
    const { watch } = fakeWatch([(emit) => emit('MODIFIED', obj('11', 'ImagePullFailed'))]);
    const err = await waitForReady({ ...base, watch, get: async () => obj('10', 'Provisioning') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkspaceImagePullError);
    expect(err).toMatchObject({ reason: 'ImagePullFailed', conditionMessage: 'ImagePullFailed now', workspace: 'ns/w' });
  });

  it('a status of an older generation is not judged; deletion rejects', async () => {
    const stale = { ...obj('11', 'ImagePullFailed'), metadata: { ...obj('11').metadata, generation: 2 } };
    const { watch } = fakeWatch([(emit) => { emit('MODIFIED', stale); emit('DELETED', stale); }]);
    await expect(waitForReady({ ...base, watch, get: async () => obj('10') })).rejects.toBeInstanceOf(WorkspaceStoppedError);
  });

  it('Unschedulable is waited out (an autoscaler may add a node): Ready after it resolves; a timeout still unschedulable rejects with its class', async () => {
    const scaledUp = fakeWatch([(emit) => { emit('MODIFIED', obj('11', 'Unschedulable')); emit('MODIFIED', obj('12', 'Running', 'True', 'http://u')); }]);
    expect((await waitForReady({ ...base, watch: scaledUp.watch, get: async () => obj('10', 'Provisioning') })).status?.url).toBe('http://u');

    const never = fakeWatch([(emit) => emit('MODIFIED', obj('11', 'Unschedulable'))]);
    const err = await waitForReady({ ...base, timeoutMs: 50, watch: never.watch, get: async () => obj('10', 'Provisioning') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkspaceUnschedulableError);
    expect(err).toMatchObject({ reason: 'Unschedulable', conditionMessage: 'Unschedulable now (still after 50 ms)' });
  });

  it('with waitWhileUnschedulable false, Unschedulable rejects at once', async () => {
    const { watch } = fakeWatch([(emit) => emit('MODIFIED', obj('11', 'Unschedulable'))]);
    const err = await waitForReady({ ...base, waitWhileUnschedulable: false, watch, get: async () => obj('10', 'Provisioning') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkspaceUnschedulableError);
  });

  it('times out with the last reason', async () => {
    const { watch } = fakeWatch([() => undefined]);
    const err = await waitForReady({ ...base, timeoutMs: 50, watch, get: async () => obj('10', 'Starting') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkspaceReadyTimeoutError);
    expect(err).toMatchObject({ reason: 'Starting' });
  });
});
