// Invalid AgentWorkspaces on the real API server: what the schema and its CEL rules refuse (with a
// message naming the field), what only the operator can tell (a terminal condition, not retried), a
// same-named object the operator does not own (reported, left unchanged), and a missing image.
import { describe, it, expect } from '@jest/globals';
import { readyOf, upsert, waitForReason, workspacePath, useOperatorInNamespace, type Workspace } from '../../operator/src/e2e.testkit.js';
import { KubeApiError, resourcePath, type KubeObject } from '../../operator/src/kube/client.js';

const cluster = useOperatorInNamespace('aw-invalid');

const workspace = (name: string, spec: Record<string, unknown>): KubeObject => ({
  apiVersion: 'agentworkspace.dev/v1alpha1',
  kind: 'AgentWorkspace',
  metadata: { name, namespace: cluster.namespace },
  spec,
});

async function refusal(obj: KubeObject): Promise<string> {
  try {
    await cluster.client.create(obj);
  } catch (err) {
    expect(err).toBeInstanceOf(KubeApiError);
    expect((err as KubeApiError).code).toBe(422);
    return (err as KubeApiError).body?.message ?? '';
  }
  throw new Error('the API server accepted an invalid workspace');
}

describe('the API server refuses invalid specs, naming the field', () => {
  it.each<[string, Record<string, unknown>, RegExp[]]>([
    ['an unknown pull policy', { imagePullPolicy: 'Sometimes' }, [/spec\.imagePullPolicy/, /Unsupported value/]],
    ['a malformed lifetime', { lifetime: { maxLifetime: 'forever' } }, [/spec\.lifetime\.maxLifetime/]],
    ['a malformed storage size', { storage: { type: 'PersistentVolumeClaim', size: 'lots' } }, [/spec\.storage\.size/]],
    ['a malformed shutdownTime', { lifetime: { shutdownTime: 'tomorrow' } }, [/spec\.lifetime\.shutdownTime/]],
    ['an env name starting with a digit', { env: [{ name: '1-bad', value: 'x' }] }, [/spec\.env\[0\]\.name/]],
    ['an oversized env list', { env: Array.from({ length: 129 }, (_, i) => ({ name: `V${i}`, value: 'x' })) }, [/spec\.env/, /128/]],
    // CEL cross-field rules
    ['env with value and valueFrom (CEL)', { env: [{ name: 'A', value: 'x', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }] }, [/spec\.env\[0\]/, /mutually exclusive/]],
    ['envFrom with no source (CEL)', { envFrom: [{ prefix: 'X_' }] }, [/spec\.envFrom\[0\]/, /exactly one of secretRef or configMapRef/]],
    ['a storage class on ephemeral storage (CEL)', { storage: { storageClassName: 'fast' } }, [/spec\.storage\.storageClassName/, /requires storage\.type PersistentVolumeClaim/]],
    ['egress CIDRs without the policy enabled (CEL)', { networkPolicy: { egressCIDRs: ['10.0.0.0/8'] } }, [/spec\.networkPolicy/, /require networkPolicy\.enabled/]],
    ['an ingress peer without a selector (CEL)', { networkPolicy: { enabled: true, ingressFrom: [{}] } }, [/spec\.networkPolicy\.ingressFrom\[0\]/, /podSelector or a namespaceSelector/]],
  ])('%s', async (_name, spec, patterns) => {
    const message = await refusal(workspace('invalid', spec));
    for (const p of patterns) expect(message).toMatch(p);
  });

  it('refuses a change of storage once the workspace exists (CEL transition rule)', async () => {
    await cluster.client.create(workspace('immutable-storage', { suspended: true }));
    let message = '';
    try {
      await cluster.client.mergePatch(workspace('immutable-storage', {}), { spec: { storage: { type: 'PersistentVolumeClaim' } } });
    } catch (err) {
      message = (err as KubeApiError).body?.message ?? '';
    }
    expect(message).toMatch(/spec\.storage/);
    expect(message).toMatch(/storage is immutable/);
  });
});

/** Waits until the operator has been idle for a few seconds (no reconcile), then returns the count. */
async function settledReconcileCount(): Promise<number> {
  let last = -1;
  for (;;) {
    const now = await cluster.operator.metric('agentworkspace_reconcile_total');
    if (now === last) return now;
    last = now;
    await new Promise((r) => setTimeout(r, 3000));
  }
}

describe('what only the operator can tell ends in a terminal condition without a retry storm', () => {
  it('a missing LLM credentials Secret → InvalidSpec naming spec.llm.secretName (from the pod: the operator reads no Secret), not retried', async () => {
    await cluster.client.create(workspace('no-llm-secret', { llm: { secretName: 'missing-llm' } }));
    const ws = await waitForReason(cluster.client, cluster.namespace, 'no-llm-secret', 'InvalidSpec');
    expect(readyOf(ws)!.message).toMatch(/spec\.llm\.secretName: Secret "missing-llm" not found/);
    const before = await settledReconcileCount();
    await new Promise((r) => setTimeout(r, 5000));
    expect(await cluster.operator.metric('agentworkspace_reconcile_total')).toBe(before);
    expect(await cluster.operator.metric('agentworkspace_reconcile_errors_total', { kind: 'transient' })).toBe(0);
    // The pod waits for the Secret (CreateContainerConfigError); it has not started.
    const pods = await cluster.client.list(resourcePath('v1', 'Pod', cluster.namespace), 'agentworkspace.dev/workspace=no-llm-secret');
    expect(pods.items.map((p) => (p.status as { containerStatuses?: Array<{ state?: { waiting?: { reason?: string } } }> }).containerStatuses?.[0]?.state?.waiting?.reason)).toEqual(['CreateContainerConfigError']);
  });

  it('a memory limit below its request → InvalidSpec quoting the API server', async () => {
    await cluster.client.create(workspace('bad-resources', { resources: { requests: { memory: '1Gi' }, limits: { memory: '512Mi' } } }));
    const ws = await waitForReason(cluster.client, cluster.namespace, 'bad-resources', 'InvalidSpec');
    expect(readyOf(ws)!.message).toMatch(/refused the Pod/);
    expect(readyOf(ws)!.message).toMatch(/resources\.requests/);
  });

  it('a Service of the same name that it does not own → ResourceConflict, and the Service is left unchanged', async () => {
    const foreign = await cluster.client.create({
      apiVersion: 'v1', kind: 'Service', metadata: { name: 'taken', namespace: cluster.namespace, labels: { owner: 'someone-else' } },
      spec: { ports: [{ port: 9999 }], selector: { app: 'other' } },
    } as KubeObject);
    await cluster.client.create(workspace('taken', {}));
    const ws = await waitForReason(cluster.client, cluster.namespace, 'taken', 'ResourceConflict');
    expect(readyOf(ws)!.message).toMatch(/Service "taken" already exists and is not owned by this workspace/);
    const after = await cluster.client.get(resourcePath('v1', 'Service', cluster.namespace, 'taken'));
    expect(after.metadata!.resourceVersion).toBe(foreign.metadata!.resourceVersion);
    expect(after.metadata!.ownerReferences).toBeUndefined();
  });

  it('a missing image → ImagePullFailed', async () => {
    await upsert(cluster.client, workspace('no-image', { image: 'localhost/agentworkspace/does-not-exist:1' }));
    const ws: Workspace = await waitForReason(cluster.client, cluster.namespace, 'no-image', 'ImagePullFailed');
    expect(readyOf(ws)).toMatchObject({ status: 'False' });
    expect(readyOf(ws)!.message).toMatch(/does-not-exist/);
    expect(ws.status!.url).toBeUndefined();
  });
});

it('stores only the workspaces the API server accepted', async () => {
  const list = await cluster.client.list(workspacePath(cluster.namespace));
  expect(list.items.map((w) => w.metadata!.name).sort()).toEqual(['bad-resources', 'immutable-storage', 'no-image', 'no-llm-secret', 'taken']);
});
