// Acceptance: the local cluster's control plane — versions, dry-run, namespace lifecycle, garbage
// collection, the workload controllers and RBAC — against the real processes started by cluster.sh.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AppsV1Api, CoreV1Api, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { ensureCluster, ensureImage, helm, K8S_VERSION, kubectl, NODE_NAME, withNamespace, type TestNamespace } from '../support/cluster.js';
import { waitFor } from '../support/wait.js';

const SLOW = 180_000;

describe('local cluster control plane', () => {
  let ns: TestNamespace;

  beforeAll(async () => {
    await ensureCluster();
    ns = await withNamespace('cp');
  }, 30 * 60_000);

  afterAll(async () => {
    await ns?.cleanup();
  });

  it('kubectl version reports the built server version', async () => {
    const r = await kubectl(['version', '-o', 'json']);
    expect(r.code).toBe(0);
    const v = JSON.parse(r.stdout) as { clientVersion: { gitVersion: string }; serverVersion: { gitVersion: string; minor: string } };
    expect(v.serverVersion.gitVersion).toBe(K8S_VERSION);
    expect(v.clientVersion.gitVersion).toBe(K8S_VERSION);
    expect(v.serverVersion.minor).toBe('36');
  });

  it('helm version works', async () => {
    const r = await helm(['version', '--short']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^v3\.22\.0/);
  });

  it('server-side dry-run validates a manifest without creating it', async () => {
    const manifest = JSON.stringify({
      apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'dry', namespace: ns.name }, data: { a: 'b' },
    });
    const ok = await kubectl(['apply', '--dry-run=server', '-f', '-'], manifest);
    expect(ok.stderr).toBe('');
    expect(ok.stdout).toContain('configmap/dry created (server dry run)');
    expect((await kubectl(['get', 'configmap', 'dry', '-n', ns.name])).code).not.toBe(0);
    // The API server's own validation runs: an invalid object is refused, naming the field.
    const bad = JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'Bad_Name', namespace: ns.name }, spec: { containers: [] } });
    const refused = await kubectl(['apply', '--dry-run=server', '-f', '-'], bad);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('metadata.name');
  });

  it('creates and deletes a namespace (deletion completes)', async () => {
    const extra = await withNamespace('cp-ns');
    await extra.core.createNamespacedConfigMap({ namespace: extra.name, body: { metadata: { name: 'x' }, data: { k: 'v' } } });
    await extra.cleanup(true);
    const r = await kubectl(['get', 'namespace', extra.name]);
    expect(r.stderr).toContain('NotFound');
  }, SLOW);

  it('garbage-collects an object whose owner is deleted', async () => {
    const owner = await ns.core.createNamespacedConfigMap({ namespace: ns.name, body: { metadata: { name: 'owner' } } });
    await ns.core.createNamespacedConfigMap({
      namespace: ns.name,
      body: {
        metadata: {
          name: 'owned',
          ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata?.uid ?? '' }],
        },
      },
    });
    await ns.core.deleteNamespacedConfigMap({ namespace: ns.name, name: 'owner' });
    await waitFor(
      () => ns.core.readNamespacedConfigMap({ namespace: ns.name, name: 'owned' }).then(() => false, (e: { code?: number }) => e.code === 404),
      'the owned ConfigMap to be garbage-collected', { timeoutMs: 60_000, intervalMs: 250 },
    );
  }, SLOW);

  it('gives a Deployment a Running pod', async () => {
    const image = await ensureImage('testapp');
    const apps = ns.cluster.kubeConfig.makeApiClient(AppsV1Api);
    await apps.createNamespacedDeployment({
      namespace: ns.name,
      body: {
        metadata: { name: 'web' },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'web' } },
          template: {
            metadata: { labels: { app: 'web' } },
            spec: { terminationGracePeriodSeconds: 2, containers: [{ name: 'web', image, ports: [{ containerPort: 8080 }] }] },
          },
        },
      },
    });
    const pod = await waitFor(async () => {
      const pods = await ns.core.listNamespacedPod({ namespace: ns.name, labelSelector: 'app=web' });
      return pods.items.find((p) => p.status?.phase === 'Running');
    }, 'a Running pod of the Deployment', { timeoutMs: 120_000, intervalMs: 250 });
    expect(pod.metadata?.ownerReferences?.[0]?.kind).toBe('ReplicaSet');
    expect(pod.spec?.nodeName).toBe(NODE_NAME);
    await waitFor(async () => {
      const d = await apps.readNamespacedDeployment({ namespace: ns.name, name: 'web' });
      return d.status?.availableReplicas === 1;
    }, 'the Deployment to report an available replica', { timeoutMs: 60_000, intervalMs: 250 });
  }, SLOW);

  it('installs a Helm chart whose Deployment becomes ready (helm install --wait), and uninstalls it', async () => {
    const image = await ensureImage('testapp');
    const chart = mkdtempSync(join(tmpdir(), 'chart-'));
    try {
      mkdirSync(join(chart, 'templates'));
      writeFileSync(join(chart, 'Chart.yaml'), 'apiVersion: v2\nname: demo\nversion: 0.1.0\nkubeVersion: ">=1.30.0-0"\n');
      writeFileSync(join(chart, 'values.yaml'), `image: ${image}\n`);
      writeFileSync(join(chart, 'templates', 'deployment.yaml'), [
        'apiVersion: apps/v1', 'kind: Deployment', 'metadata: {name: {{ .Release.Name }}}',
        'spec:', '  replicas: 1', '  selector: {matchLabels: {app: {{ .Release.Name }}}}',
        '  template:', '    metadata: {labels: {app: {{ .Release.Name }}}}',
        '    spec:', '      terminationGracePeriodSeconds: 2',
        '      containers:', '      - name: app', '        image: {{ .Values.image }}', '        ports: [{containerPort: 8080}]',
        '        readinessProbe: {httpGet: {path: /healthz, port: 8080}, periodSeconds: 1}', '',
      ].join('\n'));
      const install = await helm(['install', 'demo', chart, '-n', ns.name, '--wait', '--timeout', '120s']);
      expect(install.stderr).toBe('');
      expect(install.stdout).toContain('STATUS: deployed');
      const apps = ns.cluster.kubeConfig.makeApiClient(AppsV1Api);
      const d = await apps.readNamespacedDeployment({ namespace: ns.name, name: 'demo' });
      expect(d.status?.readyReplicas).toBe(1);
      const uninstall = await helm(['uninstall', 'demo', '-n', ns.name, '--wait']);
      expect(uninstall.code).toBe(0);
    } finally {
      rmSync(chart, { recursive: true, force: true });
    }
  }, SLOW);

  it('enforces RBAC: a ServiceAccount without rights is refused, and allowed once bound', async () => {
    await ns.core.createNamespacedServiceAccount({ namespace: ns.name, body: { metadata: { name: 'nobody' } } });
    const as = `system:serviceaccount:${ns.name}:nobody`;
    const denied = await kubectl(['get', 'secrets', '-n', ns.name, '--as', as]);
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toContain('Forbidden');
    expect(denied.stderr).toContain(`"${as}" cannot list resource "secrets"`);
    const canI = await kubectl(['auth', 'can-i', 'create', 'pods', '-n', ns.name, '--as', as]);
    expect(canI.stdout.trim()).toBe('no');

    const rbac = ns.cluster.kubeConfig.makeApiClient(RbacAuthorizationV1Api);
    await rbac.createNamespacedRole({
      namespace: ns.name,
      body: { metadata: { name: 'secret-reader' }, rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['list'] }] },
    });
    await rbac.createNamespacedRoleBinding({
      namespace: ns.name,
      body: {
        metadata: { name: 'nobody-reads' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'secret-reader' },
        subjects: [{ kind: 'ServiceAccount', name: 'nobody', namespace: ns.name }],
      },
    });
    const allowed = await waitFor(async () => {
      const r = await kubectl(['get', 'secrets', '-n', ns.name, '--as', as]);
      return r.code === 0 ? r : undefined;
    }, 'the RoleBinding to take effect', { timeoutMs: 30_000, intervalMs: 250 });
    expect(allowed.code).toBe(0);
    // Still nothing beyond the role.
    expect((await kubectl(['get', 'configmaps', '-n', ns.name, '--as', as])).stderr).toContain('Forbidden');
  }, SLOW);

  it('publishes kube-root-ca.crt and a default ServiceAccount in new namespaces', async () => {
    const core = ns.cluster.kubeConfig.makeApiClient(CoreV1Api);
    const cm = await waitFor(() => core.readNamespacedConfigMap({ namespace: ns.name, name: 'kube-root-ca.crt' }).catch(() => undefined),
      'kube-root-ca.crt', { timeoutMs: 30_000, intervalMs: 250 });
    expect(cm.data?.['ca.crt']).toContain('BEGIN CERTIFICATE');
  });
});
