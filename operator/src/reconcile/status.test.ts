import { describe, it, expect } from '@jest/globals';
import { AgentWorkspace, type AgentWorkspaceSpecInput, type AgentWorkspaceStatus } from '../api/agentworkspace.js';
import { computeStatus, nextCondition, type PodView, type StatusInput } from './status.js';

const now = new Date('2026-01-01T00:10:00Z');
const url = 'http://w1.team.svc.cluster.local:8000';
const ws = (spec: AgentWorkspaceSpecInput = {}, status?: AgentWorkspaceStatus) =>
  AgentWorkspace.parse({
    apiVersion: 'agentworkspace.dev/v1alpha1', kind: 'AgentWorkspace',
    metadata: { name: 'w1', namespace: 'team', uid: 'u', generation: 3, creationTimestamp: '2026-01-01T00:00:00Z' },
    spec, ...(status ? { status } : {}),
  });
const input = (over: Partial<StatusInput> = {}): StatusInput => ({ ws: ws(), serviceReady: true, sessionKey: { name: 'w1-session-key', key: 'sessionApiKey' }, url, now, ...over });

const scheduled = { type: 'PodScheduled', status: 'True', lastTransitionTime: '2026-01-01T00:00:02Z' };
const pod = (status: PodView['status'], meta: PodView['metadata'] = {}): PodView => ({ metadata: { name: 'w1', creationTimestamp: '2026-01-01T00:00:01Z', ...meta }, status });
const waiting = (reason: string, message = 'm') => pod({ phase: 'Pending', conditions: [scheduled], containerStatuses: [{ name: 'agent-server', state: { waiting: { reason, message } } }] });
const running = pod({ phase: 'Running', podIP: '127.0.0.5', conditions: [scheduled], containerStatuses: [{ name: 'agent-server', ready: false, state: { running: { startedAt: '2026-01-01T00:00:03Z' } } }] });
const ready = pod({
  phase: 'Running', podIP: '127.0.0.5',
  conditions: [scheduled, { type: 'Ready', status: 'True', lastTransitionTime: '2026-01-01T00:00:04Z' }],
  containerStatuses: [{ name: 'agent-server', ready: true, state: { running: { startedAt: '2026-01-01T00:00:03Z' } } }],
});

describe('computeStatus: the Ready condition', () => {
  it.each<[string, Partial<StatusInput>, string, string]>([
    ['1. no pod yet → Provisioning', {}, 'False', 'Provisioning'],
    ['2. pod terminating → Provisioning', { pod: pod({ phase: 'Running' }, { deletionTimestamp: '2026-01-01T00:09:00Z' }) }, 'False', 'Provisioning'],
    ['3. pending, unscheduled → Provisioning', { pod: pod({ phase: 'Pending' }) }, 'False', 'Provisioning'],
    ['4. unschedulable → Unschedulable', { pod: pod({ phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/1 nodes' }] }) }, 'False', 'Unschedulable'],
    ['4b. unschedulable while its PVC is unbound → Provisioning', { unboundClaim: 'w1-data', pod: pod({ phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: 'pod has unbound immediate PersistentVolumeClaims' }] }) }, 'False', 'Provisioning'],
    ['5. ErrImagePull → ImagePullFailed', { pod: waiting('ErrImagePull') }, 'False', 'ImagePullFailed'],
    ['6. ImagePullBackOff → ImagePullFailed', { pod: waiting('ImagePullBackOff') }, 'False', 'ImagePullFailed'],
    ['7. scheduled, container creating → Provisioning', { pod: waiting('ContainerCreating') }, 'False', 'Provisioning'],
    ['8. CrashLoopBackOff → PodFailed', { pod: waiting('CrashLoopBackOff') }, 'False', 'PodFailed'],
    ['9. a config error about nothing the spec names → PodFailed', { pod: waiting('CreateContainerConfigError') }, 'False', 'PodFailed'],
    ['10. phase Failed → PodFailed', { pod: pod({ phase: 'Failed', reason: 'Evicted' }) }, 'False', 'PodFailed'],
    ['11. running, not ready → Starting', { pod: running }, 'False', 'Starting'],
    ['12. ready → Running', { pod: ready }, 'True', 'Running'],
    ['13. ready but no Service → Provisioning', { pod: ready, serviceReady: false }, 'False', 'Provisioning'],
    ['14. suspended → Suspended', { ws: ws({ suspended: true }) }, 'False', 'Suspended'],
    ['15. past lifetime → Expired, even when suspended', { ws: ws({ suspended: true }), expiresAt: new Date('2026-01-01T00:05:00Z') }, 'False', 'Expired'],
    ['16. lifetime ahead → pod-derived', { pod: ready, expiresAt: new Date('2026-01-02T00:00:00Z') }, 'True', 'Running'],
    ['17. InvalidSpec wins over everything', { pod: ready, failure: { reason: 'InvalidSpec', message: 'x' }, expiresAt: new Date(0) }, 'False', 'InvalidSpec'],
    ['18. ResourceConflict', { failure: { reason: 'ResourceConflict', message: 'x' } }, 'False', 'ResourceConflict'],
    ['19. transient error → ReconcileError', { pod: ready, failure: { reason: 'ReconcileError', message: 'x' } }, 'False', 'ReconcileError'],
    ['20. suspended wins over a transient error', { ws: ws({ suspended: true }), failure: { reason: 'ReconcileError', message: 'x' } }, 'False', 'Suspended'],
  ])('%s', (_name, over, status, reason) => {
    const c = computeStatus(input(over)).conditions![0]!;
    expect(c).toMatchObject({ type: 'Ready', status, reason, observedGeneration: 3 });
    expect(c.message.length).toBeGreaterThan(0);
  });
});

describe('computeStatus: what the kubelet reports missing (the operator reads no Secret it did not create)', () => {
  const verdict = (spec: AgentWorkspaceSpecInput, message: string) => computeStatus(input({ ws: ws(spec), pod: waiting('CreateContainerConfigError', message) })).conditions![0]!;
  it.each<[string, AgentWorkspaceSpecInput, string, string, RegExp]>([
    ['the LLM Secret', { llm: { secretName: 'llm' } }, 'secret "llm" not found', 'InvalidSpec', /^spec\.llm\.secretName: Secret "llm" not found in namespace "team"/],
    ['the LLM API key', { llm: { secretName: 'llm', apiKeyKey: 'token' } }, "couldn't find key token in Secret team/llm", 'InvalidSpec', /^spec\.llm\.apiKeyKey: Secret "llm" has no key "token"/],
    ["the user's session-key Secret", { sessionApiKey: { secretName: 'mine' } }, 'secrets "mine" not found', 'InvalidSpec', /^spec\.sessionApiKey\.secretName: /],
    ['an env secretKeyRef key', { env: [{ name: 'A', value: '1' }, { name: 'B', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }] }, "couldn't find key k in Secret team/s", 'InvalidSpec', /^spec\.env\[1\]\.valueFrom\.secretKeyRef\.key: /],
    ['an envFrom Secret', { envFrom: [{ secretRef: { name: 'bag' } }] }, 'secret "bag" not found', 'InvalidSpec', /^spec\.envFrom\[0\]\.secretRef\.name: Secret "bag" not found/],
    ['an envFrom ConfigMap', { envFrom: [{ configMapRef: { name: 'cfg' } }] }, 'configmap "cfg" not found', 'InvalidSpec', /^spec\.envFrom\[0\]\.configMapRef\.name: ConfigMap "cfg" not found/],
    ['the generated session key, deleted (the operator creates it again)', {}, 'secret "w1-session-key" not found', 'Provisioning', /created again/],
    ['the generated session key, edited', {}, "couldn't find key sessionApiKey in Secret team/w1-session-key", 'InvalidSpec', /delete it and the operator creates a new one/],
    ['a Secret the spec does not name', { llm: { secretName: 'llm' } }, 'secret "other" not found', 'PodFailed', /cannot run: CreateContainerConfigError/],
  ])('%s', (_name, spec, message, reason, text) => {
    const c = verdict(spec, message);
    expect(c).toMatchObject({ status: 'False', reason });
    expect(c.message).toMatch(text);
  });
});

describe('computeStatus: fields', () => {
  it('sets url, pod fields and the timestamps only while Ready', () => {
    expect(computeStatus(input({ pod: ready }))).toEqual({
      conditions: [{ type: 'Ready', status: 'True', reason: 'Running', message: 'The agent server is ready.', observedGeneration: 3, lastTransitionTime: '2026-01-01T00:10:00Z' }],
      observedGeneration: 3,
      sessionKeySecretName: 'w1-session-key',
      sessionKeySecretKey: 'sessionApiKey',
      url,
      podName: 'w1',
      podIP: '127.0.0.5',
      createdAt: '2026-01-01T00:00:01Z',
      scheduledAt: '2026-01-01T00:00:02Z',
      startedAt: '2026-01-01T00:00:03Z',
      readyAt: '2026-01-01T00:00:04Z',
    });
    const starting = computeStatus(input({ pod: running }));
    expect(starting.url).toBeUndefined();
    expect(starting.readyAt).toBeUndefined();
    expect(starting.startedAt).toBe('2026-01-01T00:00:03Z');
  });

  it('clears pod fields when the pod is gone', () => {
    const s = computeStatus(input({ ws: ws({ suspended: true }) }));
    expect(s.podName).toBeUndefined();
    expect(s.podIP).toBeUndefined();
    expect(s.url).toBeUndefined();
  });

  it('reports expiresAt', () => {
    expect(computeStatus(input({ expiresAt: new Date('2026-01-02T00:00:00Z') })).expiresAt).toBe('2026-01-02T00:00:00Z');
  });

  it('is stable: computing again from its own output changes nothing', () => {
    const first = computeStatus(input({ pod: ready }));
    const later = computeStatus(input({ ws: ws({}, first), pod: ready, now: new Date('2026-01-01T01:00:00Z') }));
    expect(later).toEqual(first);
  });
});

describe('nextCondition', () => {
  const base = { type: 'Ready', status: 'False' as const, reason: 'Starting', message: 'm' };
  it('keeps lastTransitionTime while the status value is unchanged, even when the reason changes', () => {
    const prev = { ...base, reason: 'Provisioning', lastTransitionTime: '2026-01-01T00:00:00Z' };
    expect(nextCondition(prev, base, now).lastTransitionTime).toBe('2026-01-01T00:00:00Z');
  });
  it('moves lastTransitionTime when the status value changes', () => {
    const prev = { ...base, lastTransitionTime: '2026-01-01T00:00:00Z' };
    expect(nextCondition(prev, { ...base, status: 'True', reason: 'Running' }, now).lastTransitionTime).toBe('2026-01-01T00:10:00Z');
  });
});
