// Acceptance: the podman-backed node runs real containers from locally built images, as a kubelet
// would: readiness, reachability at podIP:port (the pod network), env and Secret volumes, in-cluster API access with the
// projected service-account token, restarts, probes, image-pull errors, limits, deletion.
import { readFileSync } from 'node:fs';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { CoreV1Event, V1Container, V1Pod } from '@kubernetes/client-node';
import {
  CLUSTER_DIR, ensureImage, kubectl, isReady, NETWORK, podman, waitForPod, waitForPodGone, withNamespace, type TestNamespace,
} from '../support/cluster.js';
import { waitFor } from '../support/wait.js';

const SLOW = 180_000;

describe('podman-backed node', () => {
  let ns: TestNamespace;
  let image: string;

  beforeAll(async () => {
    ns = await withNamespace('pods');
    image = await ensureImage('testapp');
  }, 30 * 60_000);

  afterAll(async () => {
    await ns?.cleanup();
  });

  const createPod = (name: string, container: Partial<V1Container>, spec: Partial<V1Pod['spec']> = {}): Promise<V1Pod> =>
    ns.core.createNamespacedPod({
      namespace: ns.name,
      body: {
        metadata: { name },
        spec: {
          terminationGracePeriodSeconds: 5,
          ...spec,
          containers: [{ name: 'app', image, ports: [{ containerPort: 8080 }], ...container }],
        },
      },
    });

  const get = async (pod: V1Pod, path: string, init?: RequestInit): Promise<Response> =>
    fetch(`http://${pod.status?.podIP}:8080${path}`, init);

  const events = async (pod: string): Promise<CoreV1Event[]> =>
    (await ns.core.listNamespacedEvent({ namespace: ns.name, fieldSelector: `involvedObject.name=${pod}` })).items;

  it('runs a local image: Running and Ready, reachable at podIP:port, env and Secret visible, API reachable with its token, restarts, deleted', async () => {
    await ns.core.createNamespacedSecret({ namespace: ns.name, body: { metadata: { name: 'creds' }, stringData: { password: 's3cret' } } });
    await ns.core.createNamespacedConfigMap({ namespace: ns.name, body: { metadata: { name: 'settings' }, data: { MODE: 'test' } } });
    await createPod('web', {
      env: [
        { name: 'GREETING', value: 'hello' },
        { name: 'ECHO', value: '$(GREETING) world' },
        { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'creds', key: 'password' } } },
        { name: 'MODE', valueFrom: { configMapKeyRef: { name: 'settings', key: 'MODE' } } },
        { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
      ],
      envFrom: [{ configMapRef: { name: 'settings' }, prefix: 'CFG_' }],
      volumeMounts: [{ name: 'creds', mountPath: '/etc/creds' }],
      readinessProbe: { httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 1 },
    }, { volumes: [{ name: 'creds', secret: { secretName: 'creds' } }] });

    const pod = await waitForPod(ns.core, ns.name, 'web', (p) => p.status?.phase === 'Running' && isReady(p), 'Running and Ready');
    expect(pod.status?.podIP?.startsWith(NETWORK.podPrefix)).toBe(true);
    expect(pod.status?.containerStatuses?.[0]?.ready).toBe(true);
    expect(pod.status?.containerStatuses?.[0]?.containerID).toMatch(/^podman:\/\//);

    expect(await (await get(pod, '/healthz')).text()).toBe('ok');
    const env = (await (await get(pod, '/env')).json()) as Record<string, string>;
    expect(env).toMatchObject({
      GREETING: 'hello', ECHO: 'hello world', PASSWORD: 's3cret', MODE: 'test', CFG_MODE: 'test',
      POD_NAME: 'web', POD_IP: pod.status?.podIP,
      KUBERNETES_SERVICE_HOST: NETWORK.kubernetesServiceIP, KUBERNETES_SERVICE_PORT: '443',
    });
    expect(await (await get(pod, '/file?path=/etc/creds/password')).text()).toBe('s3cret');
    // The Secret volume is read-only inside the container.
    expect((await get(pod, '/file?path=/etc/creds/password', { method: 'PUT', body: 'x' })).status).toBe(500);

    // In-cluster client: the projected token and kube-root-ca.crt, through KUBERNETES_SERVICE_HOST/PORT (the
    // kubernetes Service's VIP: kube-proxy → the API server's advertised endpoint 10.0.2.2 → the host's loopback).
    const who = await get(pod, '/whoami');
    expect(who.status).toBe(201);
    const review = (await who.json()) as { status: { userInfo: { username: string; extra: Record<string, string[]> } } };
    expect(review.status.userInfo.username).toBe(`system:serviceaccount:${ns.name}:default`);
    expect(review.status.userInfo.extra['authentication.kubernetes.io/pod-name']).toEqual(['web']);

    // The process exits: the container is restarted (restartPolicy Always) and becomes Ready again.
    expect((await get(pod, '/exit?code=3', { method: 'POST' })).status).toBe(202);
    const restarted = await waitForPod(ns.core, ns.name, 'web',
      (p) => (p.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1 && isReady(p), 'restarted and Ready again');
    const cs = restarted.status?.containerStatuses?.[0];
    expect(cs?.lastState?.terminated?.exitCode).toBe(3);
    expect(cs?.lastState?.terminated?.reason).toBe('Error');
    expect(await (await get(restarted, '/healthz')).text()).toBe('ok');

    await ns.core.deleteNamespacedPod({ namespace: ns.name, name: 'web' });
    await waitForPodGone(ns.core, ns.name, 'web');
    const left = await podman(['ps', '-a', '--filter', `label=agentworkspace.pod-uid=${pod.metadata?.uid}`, '--format', '{{.Names}}']);
    expect(left.stdout.trim()).toBe('');
    await expect(fetch(`http://${pod.status?.podIP}:8080/healthz`, { signal: AbortSignal.timeout(15_000) })).rejects.toThrow();
  }, SLOW);

  it('runs the agent-server image (make image) as uid 10001 with /workspace writable, Ready on its probe', async () => {
    const server = await ensureImage('server');
    await ns.core.createNamespacedPod({
      namespace: ns.name,
      body: {
        metadata: { name: 'agent-server' },
        spec: {
          terminationGracePeriodSeconds: 30,
          containers: [{
            name: 'server', image: server, ports: [{ containerPort: 8000, name: 'http' }],
            readinessProbe: { httpGet: { path: '/ready', port: 'http' }, periodSeconds: 1 },
            livenessProbe: { httpGet: { path: '/alive', port: 'http' }, periodSeconds: 5 },
            securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, runAsNonRoot: true },
          }],
        },
      },
    });
    const pod = await waitForPod(ns.core, ns.name, 'agent-server', isReady, 'Ready');
    const info = await fetch(`http://${pod.status?.podIP}:8000/alive`);
    expect(info.status).toBe(200);
    const name = (await podman(['ps', '--filter', `label=agentworkspace.pod-uid=${pod.metadata?.uid}`,
      '--filter', 'label=agentworkspace.container=server', '--format', '{{.Names}}'])).stdout.trim();
    expect((await podman(['exec', name, 'id', '-u'])).stdout.trim()).toBe('10001');
    expect((await podman(['exec', name, 'sh', '-c', 'touch /workspace/probe && echo ok'])).stdout.trim()).toBe('ok');
    // `kubectl logs` reads the container's log through the API server and the node's /containerLogs.
    const logs = await kubectl(['logs', '-n', ns.name, 'agent-server', '--tail', '50']);
    expect(logs.code).toBe(0);
    expect(logs.stdout).toContain('"service":"agent-server"');
    // Deletion sends SIGTERM, which the server handles; its output stays in the node's pod log file.
    await ns.core.deleteNamespacedPod({ namespace: ns.name, name: 'agent-server' });
    await waitForPodGone(ns.core, ns.name, 'agent-server');
    const log = readFileSync(join(CLUSTER_DIR, 'logs', 'pods', `${ns.name}_agent-server_${pod.metadata?.uid?.slice(0, 8)}_server.log`), 'utf8');
    expect(log).toContain('"signal":"SIGTERM"');
  }, SLOW);

  it('runs init containers first and completes a run-to-completion pod (Succeeded)', async () => {
    await ns.core.createNamespacedPod({
      namespace: ns.name,
      body: {
        metadata: { name: 'once' },
        spec: {
          restartPolicy: 'Never',
          initContainers: [{ name: 'init', image, command: ['sh', '-c', 'echo from-init > /work/init.txt'], volumeMounts: [{ name: 'work', mountPath: '/work' }] }],
          containers: [{ name: 'main', image, command: ['sh', '-c', 'test "$(cat /work/init.txt)" = from-init'], volumeMounts: [{ name: 'work', mountPath: '/work' }] }],
          volumes: [{ name: 'work', emptyDir: {} }],
        },
      },
    });
    const pod = await waitForPod(ns.core, ns.name, 'once', (p) => ['Succeeded', 'Failed'].includes(p.status?.phase ?? ''), 'a terminal phase');
    expect(pod.status?.phase).toBe('Succeeded');
    expect(pod.status?.initContainerStatuses?.[0]?.state?.terminated?.exitCode).toBe(0);
    expect(pod.status?.containerStatuses?.[0]?.state?.terminated?.reason).toBe('Completed');
    expect(pod.status?.containerStatuses?.[0]?.restartCount).toBe(0);
  }, SLOW);

  it('runs a hostNetwork pod in the host network namespace', async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = createNetServer().listen(0, '0.0.0.0', () => {
        const p = (probe.address() as AddressInfo).port;
        probe.close(() => resolve(p));
      });
    });
    await createPod('hostnet', { env: [{ name: 'PORT', value: String(port) }], ports: [{ containerPort: port }] }, { hostNetwork: true });
    const pod = await waitForPod(ns.core, ns.name, 'hostnet', (p) => p.status?.phase === 'Running', 'Running');
    expect(pod.status?.podIP).toBe('127.0.0.1');
    const env = await waitFor(() => fetch(`http://127.0.0.1:${port}/env`).then((r) => r.json() as Promise<Record<string, string>>).catch(() => undefined),
      'the hostNetwork pod to answer on the host', { timeoutMs: 30_000, intervalMs: 250 });
    expect(env.KUBERNETES_SERVICE_HOST).toBe('127.0.0.1');
  }, SLOW);

  it('kills a container that ignores SIGTERM once its grace period ends, then deletes the pod', async () => {
    const pod = await createPod('stubborn', { command: ['sh', '-c', 'trap "" TERM; while true; do sleep 1; done'], ports: [] },
      { terminationGracePeriodSeconds: 2 });
    await waitForPod(ns.core, ns.name, 'stubborn', (p) => p.status?.phase === 'Running', 'Running');
    await ns.core.deleteNamespacedPod({ namespace: ns.name, name: 'stubborn' });
    const terminating = await ns.core.readNamespacedPod({ namespace: ns.name, name: 'stubborn' });
    expect(terminating.metadata?.deletionGracePeriodSeconds).toBe(2);
    await waitForPodGone(ns.core, ns.name, 'stubborn');
    const left = await podman(['ps', '-a', '--filter', `label=agentworkspace.pod-uid=${pod.metadata?.uid}`, '--format', '{{.Names}}']);
    expect(left.stdout.trim()).toBe('');
  }, SLOW);

  it('refuses runAsNonRoot for an image that runs as root (CreateContainerConfigError)', async () => {
    await createPod('rootly', { securityContext: { runAsNonRoot: true } });
    const pod = await waitForPod(ns.core, ns.name, 'rootly',
      (p) => p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CreateContainerConfigError', 'CreateContainerConfigError');
    expect(pod.status?.containerStatuses?.[0]?.state?.waiting?.message).toBe('container has runAsNonRoot and image will run as root');
    expect(pod.status?.phase).toBe('Pending');
  }, SLOW);

  it('never marks a pod Ready while its readiness probe fails', async () => {
    await createPod('unready', { readinessProbe: { httpGet: { path: '/missing', port: 8080 }, periodSeconds: 1, failureThreshold: 1 } });
    // The probe's answer, not only its failure: a connection refused before the app listens is also Unhealthy.
    await waitFor(async () => (await events('unready')).some((e) => e.reason === 'Unhealthy' && e.message?.includes('statuscode: 404')),
      'an Unhealthy event for the 404 answer', { timeoutMs: 120_000, intervalMs: 250 });
    const pod = await waitForPod(ns.core, ns.name, 'unready', (p) => p.status?.phase === 'Running', 'Running');
    expect(isReady(pod)).toBe(false);
    expect(pod.status?.containerStatuses?.[0]?.ready).toBe(false);
    expect(pod.status?.conditions?.find((c) => c.type === 'Ready')?.reason).toBe('ContainersNotReady');
    // The server itself answers (it answered the probe): it is only the probe's path that fails.
    expect((await get(pod, '/healthz')).status).toBe(200);
  }, SLOW);

  it('restarts a container whose liveness probe fails', async () => {
    await createPod('unlive', {
      livenessProbe: { httpGet: { path: '/missing', port: 8080 }, periodSeconds: 1, failureThreshold: 2 },
    }, { terminationGracePeriodSeconds: 1 });
    const pod = await waitForPod(ns.core, ns.name, 'unlive', (p) => (p.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1,
      'restarted by its liveness probe');
    expect(pod.status?.containerStatuses?.[0]?.lastState?.terminated).toBeDefined();
    expect((await events('unlive')).map((e) => e.reason)).toEqual(expect.arrayContaining(['Unhealthy', 'Killing']));
  }, SLOW);

  it('reports a missing image with the kubelet waiting reasons', async () => {
    await createPod('noimage', { image: 'localhost/agentworkspace/does-not-exist:1' });
    const pod = await waitForPod(ns.core, ns.name, 'noimage',
      (p) => ['ErrImagePull', 'ImagePullBackOff'].includes(p.status?.containerStatuses?.[0]?.state?.waiting?.reason ?? ''),
      'an image-pull waiting reason');
    expect(pod.status?.phase).toBe('Pending');
    expect(pod.status?.containerStatuses?.[0]?.state?.waiting?.message).toContain('does-not-exist');
    await waitForPod(ns.core, ns.name, 'noimage',
      (p) => p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'ImagePullBackOff', 'ImagePullBackOff');
  }, SLOW);

  it('applies resource limits and the securityContext to the container (podman inspect)', async () => {
    const created = await createPod('limited', {
      readinessProbe: { exec: { command: ['test', '-d', '/data'] }, periodSeconds: 1 },
      resources: { limits: { memory: '128Mi', cpu: '500m' } },
      securityContext: {
        runAsUser: 10001, runAsGroup: 10001, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
      },
    });
    await waitForPod(ns.core, ns.name, 'limited', isReady, 'Ready (exec readiness probe)');
    const r = await podman(['ps', '-a', '--filter', `label=agentworkspace.pod-uid=${created.metadata?.uid}`,
      '--filter', 'label=agentworkspace.container=app', '--format', '{{.Names}}']);
    const name = r.stdout.trim();
    expect(name).not.toBe('');
    const inspect = JSON.parse((await podman(['inspect', name])).stdout) as Array<{
      HostConfig: { Memory: number; NanoCpus: number; ReadonlyRootfs: boolean; SecurityOpt: string[]; CapDrop: string[] };
      Config: { User: string };
    }>;
    const c = inspect[0];
    expect(c?.HostConfig.Memory).toBe(128 * 1024 * 1024);
    expect(c?.HostConfig.NanoCpus).toBe(500_000_000);
    expect(c?.HostConfig.ReadonlyRootfs).toBe(true);
    expect(c?.HostConfig.SecurityOpt).toEqual(expect.arrayContaining(['no-new-privileges']));
    expect(c?.HostConfig.CapDrop).toEqual(expect.arrayContaining(['CAP_CHOWN', 'CAP_KILL']));
    expect(c?.Config.User).toBe('10001:10001');
  }, SLOW);
});
