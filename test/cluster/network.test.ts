// Acceptance: the local cluster's pod network (test/cluster/network.sh, the node agent's pod namespaces,
// kube-proxy, CoreDNS, the EndpointSlice controller). Traffic goes only to loopback and to this cluster's pod
// and Service addresses.
import { readFileSync } from 'node:fs';
import { createServer, get as httpGet, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DiscoveryV1Api, type V1Pod } from '@kubernetes/client-node';
import { ensureCluster, ensureImage, isReady, kubectl, NETWORK, waitForPod, withNamespace, type TestNamespace } from '../support/cluster.js';
import { waitFor } from '../support/wait.js';

const SLOW = 180_000;

interface Fetched { status: number; body: string }

describe('pod network', () => {
  let ns: TestNamespace;
  let image: string;
  let web: V1Pod;
  let client: V1Pod;
  let serviceIP: string;

  const podGet = async (pod: V1Pod, path: string): Promise<Response> =>
    fetch(`http://${pod.status?.podIP}:8080${path}`, { signal: AbortSignal.timeout(30_000) });

  /** The client pod fetches `url` from inside its network namespace. */
  const fetchFromPod = async (url: string): Promise<Fetched> => {
    const r = await podGet(client, `/fetch?url=${encodeURIComponent(url)}`);
    const text = await r.text();
    if (r.status !== 200) throw new Error(`the pod could not fetch ${url}: ${text}`);
    return JSON.parse(text) as Fetched;
  };

  beforeAll(async () => {
    ns = await withNamespace('net');
    image = await ensureImage('testapp');
    const pod = (name: string, labels: Record<string, string>, readyPath = '/healthz'): Promise<V1Pod> => ns.core.createNamespacedPod({
      namespace: ns.name,
      body: {
        metadata: { name, labels },
        spec: {
          terminationGracePeriodSeconds: 2,
          containers: [{
            name: 'app', image, ports: [{ containerPort: 8080, name: 'http' }],
            readinessProbe: { httpGet: { path: readyPath, port: 8080 }, periodSeconds: 1, failureThreshold: 1 },
          }],
        },
      },
    });
    // web is Ready only while /tmp/ready exists in it: the test flips it.
    await pod('web', { app: 'web' }, '/file?path=/tmp/ready');
    await pod('client', { app: 'client' });
    await ns.core.createNamespacedService({
      namespace: ns.name,
      body: { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] } },
    });
    client = await waitForPod(ns.core, ns.name, 'client', isReady, 'Ready');
    web = await waitForPod(ns.core, ns.name, 'web', (p) => p.status?.phase === 'Running', 'Running');
    // Running before its server listens: wait for the server's own 404 (not Ready yet: no /tmp/ready).
    await waitFor(() => podGet(web, '/healthz').then((r) => r.ok, () => false), 'web to listen', { timeoutMs: 60_000, intervalMs: 250 });
    expect((await podGet(web, '/file?path=/tmp/ready')).status).toBe(404);
    expect((await fetch(`http://${web.status?.podIP}:8080/file?path=/tmp/ready`, { method: 'PUT', body: 'yes' })).status).toBe(204);
    web = await waitForPod(ns.core, ns.name, 'web', isReady, 'Ready');
    serviceIP = (await ns.core.readNamespacedService({ namespace: ns.name, name: 'web' })).spec?.clusterIP ?? '';
  }, 30 * 60_000);

  afterAll(async () => {
    await ns?.cleanup();
  });

  it('gives pods addresses of the pod range, and Services ClusterIPs of the Service range', () => {
    for (const p of [web, client]) {
      expect(p.status?.podIP?.startsWith(NETWORK.podPrefix)).toBe(true);
      expect(p.status?.podIPs).toEqual([{ ip: p.status?.podIP }]);
    }
    expect(web.status?.podIP).not.toBe(client.status?.podIP);
    expect(serviceIP.startsWith(NETWORK.servicePrefix)).toBe(true);
  });

  it('lets a pod reach another pod by podIP, by the Service ClusterIP and by the Service DNS name', async () => {
    const direct = await fetchFromPod(`http://${web.status?.podIP}:8080/healthz`);
    expect(direct).toEqual({ status: 200, body: 'ok' });
    // kube-proxy needs the EndpointSlice first; the first attempts may find no endpoint yet.
    const viaVip = await waitFor(() => fetchFromPod(`http://${serviceIP}/healthz`).catch(() => undefined),
      'the Service VIP to answer from a pod', { timeoutMs: 60_000, intervalMs: 500 });
    expect(viaVip).toEqual({ status: 200, body: 'ok' });
    const resolved = await (await podGet(client, '/resolve?name=web')).json() as { address: string };
    expect(resolved.address).toBe(serviceIP); // the search list: web → web.<ns>.svc.cluster.local
    expect(await fetchFromPod(`http://web.${ns.name}.svc.cluster.local/healthz`)).toEqual({ status: 200, body: 'ok' });
    expect(await fetchFromPod('http://web/healthz')).toEqual({ status: 200, body: 'ok' });
    const kube = await (await podGet(client, '/resolve?name=kubernetes.default')).json() as { address: string };
    expect(kube.address).toBe(NETWORK.kubernetesServiceIP);
    const resolv = await (await podGet(client, '/file?path=/etc/resolv.conf')).text();
    expect(resolv).toContain(`nameserver ${NETWORK.dnsServiceIP}`);
    expect(resolv).toMatch(new RegExp(`search ${ns.name}\\.svc\\.cluster\\.local svc\\.cluster\\.local cluster\\.local`));
  }, SLOW);

  it('lets the host reach a Service ClusterIP', async () => {
    const r = await waitFor(() => fetch(`http://${serviceIP}/healthz`, { signal: AbortSignal.timeout(10_000) }).catch(() => undefined),
      'the Service VIP to answer from the host', { timeoutMs: 60_000, intervalMs: 500 });
    expect(r.status).toBe(200);
    expect(await r.text()).toBe('ok');
  }, SLOW);

  it('answers through the API server proxy: pods and services, HTTP and a WebSocket upgrade', async () => {
    const pod = await kubectl(['get', '--raw', `/api/v1/namespaces/${ns.name}/pods/web:8080/proxy/healthz`]);
    expect(pod.stderr).toBe('');
    expect(pod.stdout).toBe('ok');
    const svc = await kubectl(['get', '--raw', `/api/v1/namespaces/${ns.name}/services/web:http/proxy/healthz`]);
    expect(svc.stderr).toBe('');
    expect(svc.stdout).toBe('ok');
    expect(await wsThroughApiServer(`/api/v1/namespaces/${ns.name}/pods/web:8080/proxy/ws`)).toBe('hello from web');
  }, SLOW);

  it('lists the ready pod in the Service\'s EndpointSlice and marks it not ready when its probe fails', async () => {
    const discovery = ns.cluster.kubeConfig.makeApiClient(DiscoveryV1Api);
    const endpoint = async (): Promise<{ addresses: string[]; conditions?: { ready?: boolean } } | undefined> => {
      const slices = await discovery.listNamespacedEndpointSlice({ namespace: ns.name, labelSelector: 'kubernetes.io/service-name=web' });
      return slices.items.flatMap((s) => s.endpoints ?? []).find((e) => e.addresses.includes(web.status?.podIP ?? ''));
    };
    const ready = await waitFor(async () => ((await endpoint())?.conditions?.ready === true ? endpoint() : undefined),
      'a ready endpoint for web', { timeoutMs: 60_000, intervalMs: 250 });
    expect(ready?.addresses).toEqual([web.status?.podIP]);
    expect((await fetch(`http://${web.status?.podIP}:8080/file?path=/tmp/ready`, { method: 'DELETE' })).status).toBe(204);
    await waitForPod(ns.core, ns.name, 'web', (p) => !isReady(p), 'not Ready');
    await waitFor(async () => (await endpoint())?.conditions?.ready === false,
      'the endpoint to be not ready', { timeoutMs: 60_000, intervalMs: 250 });
    // With no ready endpoint kube-proxy rejects new connections to the VIP (a kept-alive one would live on).
    await waitFor(() => freshGet(`http://${serviceIP}/healthz`).then(() => false, () => true),
      'the VIP to refuse new connections', { timeoutMs: 60_000, intervalMs: 500 });
    // Ready again: back in the slice.
    await fetch(`http://${web.status?.podIP}:8080/file?path=/tmp/ready`, { method: 'PUT', body: 'yes' });
    await waitFor(async () => (await endpoint())?.conditions?.ready === true, 'the endpoint to be ready again', { timeoutMs: 60_000, intervalMs: 250 });
  }, SLOW);

  it('lets a pod reach a host loopback service at 10.0.2.2, and the API server through the kubernetes Service', async () => {
    const token = randomBytes(8).toString('hex');
    const server: Server = createServer((_req, res) => res.end(token));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as AddressInfo).port;
      expect(await fetchFromPod(`http://${NETWORK.hostLoopback}:${port}/`)).toEqual({ status: 200, body: token });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    // In-cluster clients: KUBERNETES_SERVICE_HOST is the kubernetes Service's VIP, whose endpoint is the API
    // server's advertised address 10.0.2.2 (DNAT'ed by the host to its loopback).
    const env = await (await podGet(client, '/env')).json() as Record<string, string>;
    expect(env.KUBERNETES_SERVICE_HOST).toBe(NETWORK.kubernetesServiceIP);
    const discovery = ns.cluster.kubeConfig.makeApiClient(DiscoveryV1Api);
    const slices = await discovery.listNamespacedEndpointSlice({ namespace: 'default', labelSelector: 'kubernetes.io/service-name=kubernetes' });
    expect(slices.items.flatMap((sl) => (sl.endpoints ?? []).flatMap((e) => e.addresses))).toEqual([NETWORK.hostLoopback]);
    const kube = await (await podGet(client, '/whoami')).json() as { status: { userInfo: { username: string } } };
    expect(kube.status.userInfo.username).toBe(`system:serviceaccount:${ns.name}:default`);
  }, SLOW);
});

/** A GET on a new connection (fetch would reuse a kept-alive one); resolves with the status. */
function freshGet(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpGet(url, { agent: false, timeout: 5_000 }, (res) => { res.resume(); resolve(res.statusCode ?? 0); });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

/**
 * Opens a WebSocket through the API server's proxy with the admin client certificate and returns the first
 * text message (a raw RFC 6455 client: the testapp sends one short unmasked frame).
 */
async function wsThroughApiServer(path: string): Promise<string> {
  const kc = (await ensureCluster()).kubeConfig;
  const cluster = kc.getCurrentCluster();
  const user = kc.getCurrentUser();
  const server = new URL(cluster?.server ?? '');
  const pem = (data?: string, file?: string): Buffer | undefined =>
    data ? Buffer.from(data, 'base64') : file ? readFileSync(file) : undefined;
  const key = randomBytes(16).toString('base64');
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({
      host: server.hostname, port: Number(server.port), servername: server.hostname,
      ca: pem(cluster?.caData, cluster?.caFile), cert: pem(user?.certData, user?.certFile), key: pem(user?.keyData, user?.keyFile),
    }, () => {
      socket.write(`GET ${path} HTTP/1.1\r\nHost: ${server.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n`
        + `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    });
    let buf = Buffer.alloc(0);
    socket.setTimeout(30_000, () => { socket.destroy(); reject(new Error('WebSocket through the API server timed out')); });
    socket.on('error', reject);
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buf.subarray(0, end).toString();
      if (!head.startsWith('HTTP/1.1 101')) { socket.destroy(); reject(new Error(`no upgrade: ${head}`)); return; }
      const frame = buf.subarray(end + 4);
      if (frame.length < 2) return;
      const len = (frame[1] ?? 0) & 0x7f;
      if (frame.length < 2 + len) return;
      socket.destroy();
      resolve(frame.subarray(2, 2 + len).toString());
    });
  });
}

