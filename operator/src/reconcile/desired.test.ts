import { describe, it, expect } from '@jest/globals';
import { AgentWorkspace, type AgentWorkspaceSpecInput } from '../api/agentworkspace.js';
import {
  desiredNetworkPolicy, desiredPod, desiredPvc, desiredService, desiredSessionSecret, quantityValue, SPEC_HASH_ANNOTATION, sessionKeyRef, workspaceUrl,
  type DesiredSettings,
} from './desired.js';

const settings: DesiredSettings = { serverImage: 'localhost/agent-server:test', clusterDomain: 'cluster.local', terminationGracePeriodSeconds: 60, runAsUser: 10001 };
const ws = (spec: AgentWorkspaceSpecInput = {}) =>
  AgentWorkspace.parse({ apiVersion: 'agentworkspace.dev/v1alpha1', kind: 'AgentWorkspace', metadata: { name: 'w1', namespace: 'team', uid: 'uid-1', generation: 1 }, spec });
const owner = [{ apiVersion: 'agentworkspace.dev/v1alpha1', kind: 'AgentWorkspace', name: 'w1', uid: 'uid-1', controller: true, blockOwnerDeletion: true }];
const labels = {
  'app.kubernetes.io/name': 'agent-server',
  'app.kubernetes.io/instance': 'w1',
  'app.kubernetes.io/managed-by': 'agent-workspace-operator',
  'agentworkspace.dev/workspace': 'w1',
};

describe('desiredPod', () => {
  const pod = desiredPod(ws(), settings);
  const c = pod.spec!.containers[0]!;

  it('is owned by the workspace, labelled, and carries a spec hash', () => {
    expect(pod.metadata).toMatchObject({ name: 'w1', namespace: 'team', labels, ownerReferences: owner });
    expect(pod.metadata!.annotations![SPEC_HASH_ANNOTATION]).toMatch(/^[0-9a-f]{16}$/);
  });

  it('has secure defaults', () => {
    expect(pod.spec).toMatchObject({
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      terminationGracePeriodSeconds: 60,
      securityContext: { runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: 'RuntimeDefault' } },
    });
    expect(c.securityContext).toEqual({ allowPrivilegeEscalation: false, privileged: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] } });
  });

  it('probes /ready and /alive on the server port and writes only to /workspace, /tmp and the sandbox socket\'s directory', () => {
    expect(c.ports).toEqual([{ name: 'http', containerPort: 8000, protocol: 'TCP' }]);
    expect(c.readinessProbe!.httpGet).toEqual({ path: '/ready', port: 'http' });
    expect(c.livenessProbe!.httpGet).toEqual({ path: '/alive', port: 'http' });
    expect(c.volumeMounts).toEqual([{ name: 'workspace', mountPath: '/workspace' }, { name: 'tmp', mountPath: '/tmp' }, { name: 'sandbox-socket', mountPath: '/run/sandbox' }]);
    expect(pod.spec!.volumes).toEqual([
      { name: 'workspace', emptyDir: { sizeLimit: '10Gi' } }, { name: 'tmp', emptyDir: { sizeLimit: '1Gi' } }, { name: 'sandbox-tmp', emptyDir: { sizeLimit: '1Gi' } },
      { name: 'sandbox-socket', emptyDir: { sizeLimit: '1Mi' } }, { name: 'no-service-account-token', emptyDir: { sizeLimit: '1Mi' } },
    ]);
  });

  it('runs the agent\'s processes in a sandbox container: another uid, no credential, no token, no shared pid namespace', () => {
    const [server, sandbox] = desiredPod(ws({ llm: { secretName: 'llm' }, automountServiceAccountToken: true }), settings).spec!.containers;
    expect(pod.spec!.shareProcessNamespace).toBe(false);
    expect(server!.env).toContainEqual({ name: 'OH_SANDBOX_SOCKET', value: '/run/sandbox/runner.sock' });
    expect(sandbox).toMatchObject({
      name: 'sandbox', image: 'localhost/agent-server:test', command: ['node', '/app/server-image/dist/sandbox/main.js'],
      env: [{ name: 'OH_SANDBOX_SOCKET', value: '/run/sandbox/runner.sock' }],
      securityContext: { ...c.securityContext, runAsUser: 10002 },
    });
    expect(sandbox!.envFrom).toBeUndefined();
    expect(sandbox!.volumeMounts).toEqual([
      { name: 'workspace', mountPath: '/workspace' }, { name: 'sandbox-tmp', mountPath: '/tmp' }, { name: 'sandbox-socket', mountPath: '/run/sandbox' },
      { name: 'no-service-account-token', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true },
    ]);
    // The workspace's requests are the sandbox's (where the agent works); the server asks for little, with the same limits.
    // A default limit with no request asks for 0, not the limit (Kubernetes' defaulting would reserve the limit).
    expect(sandbox!.resources!.requests).toEqual({ cpu: '250m', memory: '512Mi', 'ephemeral-storage': '0' });
    expect(server!.resources!.requests).toEqual({ cpu: '50m', memory: '128Mi', 'ephemeral-storage': '0' });
    expect(sandbox!.resources!.limits).toEqual(server!.resources!.limits);
  });

  it("caps the server container's requests at the workspace's limits (a request above its limit is an invalid pod)", () => {
    const [server, sandbox] = desiredPod(ws({ resources: { limits: { memory: '64Mi', cpu: '20m' } } }), settings).spec!.containers;
    expect(server!.resources).toEqual({ requests: { cpu: '20m', memory: '64Mi', 'ephemeral-storage': '0' }, limits: { memory: '64Mi', cpu: '20m', 'ephemeral-storage': '12Gi' } });
    expect(sandbox!.resources!.limits).toEqual(server!.resources!.limits);
  });

  it('uses the default image and resources, and passes the generated session key', () => {
    expect(c.image).toBe('localhost/agent-server:test');
    expect(c.imagePullPolicy).toBe('IfNotPresent');
    expect(pod.spec!.containers[1]!.resources).toEqual({ requests: { cpu: '250m', memory: '512Mi', 'ephemeral-storage': '0' }, limits: { memory: '2Gi', cpu: '2', 'ephemeral-storage': '12Gi' } });
    expect(c.env).toContainEqual({ name: 'OH_SESSION_API_KEYS_0', valueFrom: { secretKeyRef: { name: 'w1-session-key', key: 'sessionApiKey' } } });
  });

  it("takes the shared-cluster limits from the settings; the spec's own win, and a higher request raises the default", () => {
    const podLimits = { cpu: '1', ephemeralStorage: '3Gi', workspaceSize: '2Gi', tmpSize: '256Mi' };
    const p = desiredPod(ws(), { ...settings, podLimits });
    expect(p.spec!.containers[0]!.resources!.limits).toEqual({ memory: '2Gi', cpu: '1', 'ephemeral-storage': '3Gi' });
    expect(p.spec!.volumes!.slice(0, 3)).toEqual([{ name: 'workspace', emptyDir: { sizeLimit: '2Gi' } }, { name: 'tmp', emptyDir: { sizeLimit: '256Mi' } }, { name: 'sandbox-tmp', emptyDir: { sizeLimit: '256Mi' } }]);
    const own = desiredPod(ws({ resources: { requests: { cpu: '1500m', 'ephemeral-storage': '1Gi' }, limits: { 'ephemeral-storage': '50Gi' } }, storage: { size: '40Gi' }, tmpSize: '4Gi' }), { ...settings, podLimits });
    expect(own.spec!.containers[1]!.resources).toEqual({ requests: { cpu: '1500m', 'ephemeral-storage': '1Gi' }, limits: { cpu: '1500m', 'ephemeral-storage': '50Gi' } });
    expect(own.spec!.volumes!.slice(0, 3)).toEqual([{ name: 'workspace', emptyDir: { sizeLimit: '40Gi' } }, { name: 'tmp', emptyDir: { sizeLimit: '4Gi' } }, { name: 'sandbox-tmp', emptyDir: { sizeLimit: '4Gi' } }]);
    expect(desiredPvc(ws({ storage: { type: 'PersistentVolumeClaim' } }), podLimits)!.spec!.resources).toEqual({ requests: { storage: '2Gi' } });
  });

  it('compares quantities across suffixes', () => {
    expect([quantityValue('500m'), quantityValue('2'), quantityValue('1Ki'), quantityValue('1k'), quantityValue('1e3'), quantityValue('1.5Gi')]).toEqual([0.5, 2, 1024, 1000, 1000, 1.5 * 2 ** 30]);
    expect(quantityValue('lots')).toBeNaN();
  });

  it('maps the LLM Secret to LLM_MODEL, LLM_API_KEY, LLM_BASE_URL', () => {
    const env = desiredPod(ws({ llm: { secretName: 'llm' } }), settings).spec!.containers[0]!.env!;
    expect(env.filter((e) => e.name.startsWith('LLM_'))).toEqual([
      { name: 'LLM_MODEL', valueFrom: { secretKeyRef: { name: 'llm', key: 'model', optional: true } } },
      { name: 'LLM_API_KEY', valueFrom: { secretKeyRef: { name: 'llm', key: 'apiKey' } } },
      { name: 'LLM_BASE_URL', valueFrom: { secretKeyRef: { name: 'llm', key: 'baseUrl', optional: true } } },
    ]);
  });

  it('puts user env first so the operator\'s variables win', () => {
    const env = desiredPod(ws({ env: [{ name: 'OH_SESSION_API_KEYS_0', value: 'hijack' }, { name: 'A', value: '1' }] }), settings).spec!.containers[0]!.env!;
    const idx = env.map((e) => e.name).lastIndexOf('OH_SESSION_API_KEYS_0');
    expect(env[idx]!.valueFrom).toBeDefined();
    expect(env[0]).toEqual({ name: 'OH_SESSION_API_KEYS_0', value: 'hijack' });
  });

  it('renders scheduling fields, runtimeClass and pod metadata, never letting user labels replace its own', () => {
    const p = desiredPod(
      ws({
        runtimeClassName: 'gvisor', nodeSelector: { disk: 'ssd' }, serviceAccountName: 'agent',
        tolerations: [{ key: 'k', operator: 'Exists', effect: 'NoSchedule' }],
        affinity: { nodeAffinity: {} },
        podMetadata: { labels: { team: 'a', 'agentworkspace.dev/workspace': 'other' }, annotations: { note: 'x' } },
      }),
      settings,
    );
    expect(p.spec).toMatchObject({ runtimeClassName: 'gvisor', nodeSelector: { disk: 'ssd' }, serviceAccountName: 'agent', affinity: { nodeAffinity: {} } });
    expect(p.metadata!.labels).toEqual({ team: 'a', ...labels });
    expect(p.metadata!.annotations!.note).toBe('x');
  });

  it('changes the hash when the spec changes and only then', () => {
    const h = (spec: AgentWorkspaceSpecInput) => desiredPod(ws(spec), settings).metadata!.annotations![SPEC_HASH_ANNOTATION];
    expect(h({})).toBe(h({}));
    expect(h({ image: 'other:1' })).not.toBe(h({}));
    expect(h({ env: [{ name: 'A', value: '1' }] })).not.toBe(h({}));
  });

  it('mounts the PVC when storage asks for one', () => {
    const p = desiredPod(ws({ storage: { type: 'PersistentVolumeClaim' } }), settings);
    expect(p.spec!.volumes![0]).toEqual({ name: 'workspace', persistentVolumeClaim: { claimName: 'w1-data' } });
  });
});

describe('desiredService', () => {
  it('selects the pod on port 8000', () => {
    expect(desiredService(ws())).toEqual({
      apiVersion: 'v1', kind: 'Service',
      metadata: { name: 'w1', namespace: 'team', labels, ownerReferences: owner },
      spec: {
        type: 'ClusterIP',
        selector: { 'app.kubernetes.io/managed-by': 'agent-workspace-operator', 'agentworkspace.dev/workspace': 'w1' },
        ports: [{ name: 'http', port: 8000, targetPort: 'http', protocol: 'TCP' }],
      },
    });
  });
});

describe('desiredSessionSecret and sessionKeyRef', () => {
  it('generates an owned Secret holding the given key', () => {
    expect(desiredSessionSecret(ws(), 'k'.repeat(43))).toMatchObject({ metadata: { name: 'w1-session-key', ownerReferences: owner }, stringData: { sessionApiKey: 'k'.repeat(43) } });
    expect(sessionKeyRef(ws())).toEqual({ name: 'w1-session-key', key: 'sessionApiKey', generated: true });
  });
  it('uses the user\'s Secret when one is referenced', () => {
    expect(sessionKeyRef(ws({ sessionApiKey: { secretName: 'mine' } }))).toEqual({ name: 'mine', key: 'sessionApiKey', generated: false });
  });
});

describe('desiredPvc', () => {
  it('is absent for ephemeral storage', () => expect(desiredPvc(ws())).toBeUndefined());
  it('is owned under Delete and unowned under Retain', () => {
    const d = desiredPvc(ws({ storage: { type: 'PersistentVolumeClaim', size: '1Gi', storageClassName: 'fast' } }))!;
    expect(d.metadata!.ownerReferences).toEqual(owner);
    expect(d.spec).toEqual({ accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, storageClassName: 'fast' });
    const r = desiredPvc(ws({ storage: { type: 'PersistentVolumeClaim', reclaimPolicy: 'Retain' } }))!;
    expect(r.metadata!.ownerReferences).toBeUndefined();
    expect(r.metadata!.labels).toEqual(labels);
  });
});

describe('desiredNetworkPolicy', () => {
  it('is absent unless enabled', () => expect(desiredNetworkPolicy(ws())).toBeUndefined());
  it('allows ingress from the selectors on 8000, egress to the CIDRs and DNS', () => {
    const np = desiredNetworkPolicy(ws({ networkPolicy: { enabled: true, ingressFrom: [{ podSelector: { matchLabels: { role: 'sdk' } } }], egressCIDRs: ['10.0.0.0/8'] } }))!;
    expect(np.spec).toEqual({
      podSelector: { matchLabels: { 'app.kubernetes.io/managed-by': 'agent-workspace-operator', 'agentworkspace.dev/workspace': 'w1' } },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [{ from: [{ podSelector: { matchLabels: { role: 'sdk' } } }], ports: [{ protocol: 'TCP', port: 8000 }] }],
      egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/8' } }] }, { ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }] }],
    });
  });
  it('denies all ingress and egress but DNS by default when enabled', () => {
    const np = desiredNetworkPolicy(ws({ networkPolicy: { enabled: true } }))!;
    expect(np.spec.ingress).toEqual([]);
    expect(np.spec.egress).toEqual([{ ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }] }]);
  });
});

it('workspaceUrl is the Service DNS name on port 8000', () => {
  expect(workspaceUrl(ws(), 'cluster.local')).toBe('http://w1.team.svc.cluster.local:8000');
});
