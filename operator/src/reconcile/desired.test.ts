import { describe, it, expect } from '@jest/globals';
import { AgentWorkspace, type AgentWorkspaceSpecInput } from '../api/agentworkspace.js';
import {
  desiredNetworkPolicy, desiredPod, desiredPvc, desiredService, desiredSessionSecret, SPEC_HASH_ANNOTATION, sessionKeyRef, workspaceUrl,
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

  it('probes /ready and /alive on the server port and writes only to /workspace and /tmp', () => {
    expect(c.ports).toEqual([{ name: 'http', containerPort: 8000, protocol: 'TCP' }]);
    expect(c.readinessProbe!.httpGet).toEqual({ path: '/ready', port: 'http' });
    expect(c.livenessProbe!.httpGet).toEqual({ path: '/alive', port: 'http' });
    expect(c.volumeMounts).toEqual([{ name: 'workspace', mountPath: '/workspace' }, { name: 'tmp', mountPath: '/tmp' }]);
    expect(pod.spec!.volumes).toEqual([{ name: 'workspace', emptyDir: {} }, { name: 'tmp', emptyDir: {} }]);
  });

  it('uses the default image and resources, and passes the generated session key', () => {
    expect(c.image).toBe('localhost/agent-server:test');
    expect(c.imagePullPolicy).toBe('IfNotPresent');
    expect(c.resources).toEqual({ requests: { cpu: '250m', memory: '512Mi' }, limits: { memory: '2Gi' } });
    expect(c.env).toContainEqual({ name: 'OH_SESSION_API_KEYS_0', valueFrom: { secretKeyRef: { name: 'w1-session-key', key: 'sessionApiKey' } } });
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
