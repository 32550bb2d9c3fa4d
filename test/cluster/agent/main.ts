// The node agent's composition root: the test cluster's kubelet stand-in. Registers the node, runs the
// PV provisioner, watches the pods bound to the node and gives each a PodWorker; one podman poll per
// second feeds every worker the containers' states. Started by cluster.sh (which sets the environment).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { CoreV1Api, KubeConfig, StorageV1Api, type V1Pod } from '@kubernetes/client-node';
import { eventRecorder } from './events.js';
import { startKubeletServer } from './kubelet-server.js';
import { keepWatching } from './list-watch.js';
import { NodeRegistration } from './node.js';
import { apiObjectReader } from './object-reader.js';
import { PodAddresses } from './pod-addresses.js';
import { PodWorker, type WorkerDeps } from './pod-worker.js';
import { listContainers, NODE_LABEL, podman, podmanPods, podmanStatus } from './podman.js';
import { Provisioner } from './provisioner.js';
import type { TokenIssuer } from './volumes.js';

const ConfigSchema = z.object({
  /** AGENT_KUBECONFIG: the admin kubeconfig written by cluster.sh. */
  kubeconfig: z.string().min(1),
  /** AGENT_NODE_NAME. */
  nodeName: z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/),
  /** AGENT_STATE_DIR: the cluster's state directory (pods/, pv/, logs/pods/ live under it). */
  stateDir: z.string().min(1),
  /** AGENT_APISERVER_PORT: the API server's port on the host's loopback. */
  apiserverPort: z.coerce.number().int().min(1).max(65535),
  /** AGENT_POD_APISERVER_HOST: the host's loopback as pods on slirp4netns see it (10.0.2.2). */
  podApiserverHost: z.string().min(1),
  /** AGENT_KUBELET_PORT: where the node serves /containerLogs for `kubectl logs` (HTTPS, 127.0.0.1). */
  kubeletPort: z.coerce.number().int().min(1).max(65535).default(10250),
  /** AGENT_POD_ADDRESS_BLOCK: pods get addresses in 127.<block>.0.0/16 (distinct per cluster on one machine). */
  podAddressBlock: z.coerce.number().int().min(0).max(255).default(0),
  /** AGENT_KUBELET_VERSION: reported in the node's nodeInfo. */
  kubeletVersion: z.string().default('v1.36.3'),
});

function log(msg: string): void {
  console.log(`${new Date().toISOString()} ${msg}`);
}

async function main(): Promise<void> {
  const parsed = ConfigSchema.safeParse({
    kubeconfig: process.env.AGENT_KUBECONFIG,
    nodeName: process.env.AGENT_NODE_NAME,
    stateDir: process.env.AGENT_STATE_DIR,
    apiserverPort: process.env.AGENT_APISERVER_PORT,
    podApiserverHost: process.env.AGENT_POD_APISERVER_HOST,
    kubeletVersion: process.env.AGENT_KUBELET_VERSION,
    kubeletPort: process.env.AGENT_KUBELET_PORT,
    podAddressBlock: process.env.AGENT_POD_ADDRESS_BLOCK,
  });
  if (!parsed.success) {
    console.error(`node agent: invalid configuration: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    process.exit(2);
  }
  const cfg = parsed.data;
  const kc = new KubeConfig();
  kc.loadFromString(readFileSync(cfg.kubeconfig, 'utf8'));
  const core = kc.makeApiClient(CoreV1Api);
  const storage = kc.makeApiClient(StorageV1Api);

  // Podman pods of an earlier run of this agent: adopted when their pod still exists, else removed (gc below).
  const survivors = new Set((await podmanPods(cfg.nodeName)).map((p) => p.uid));

  const podmanVersion = (await podman(['version', '--format', '{{.Client.Version}}'])).trim();
  const pki = join(cfg.stateDir, 'pki');
  const kubelet = startKubeletServer({
    port: cfg.kubeletPort, cert: readFileSync(join(pki, 'kubelet.crt')), key: readFileSync(join(pki, 'kubelet.key')),
    ca: readFileSync(join(pki, 'ca.crt')), logDir: join(cfg.stateDir, 'logs', 'pods'), log,
  });
  const node = new NodeRegistration(core, cfg.nodeName, cfg.kubeletVersion, podmanVersion, cfg.kubeletPort, log);
  await node.register();
  const provisioner = new Provisioner(kc, core, storage, join(cfg.stateDir, 'pv'), log);
  await provisioner.start();

  const tokens: TokenIssuer = {
    async request(pod, audience, expirationSeconds) {
      const tr = await core.createNamespacedServiceAccountToken({
        name: pod.spec?.serviceAccountName ?? 'default',
        namespace: pod.metadata?.namespace ?? 'default',
        body: {
          spec: {
            audiences: audience ? [audience] : [],
            expirationSeconds,
            boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: pod.metadata?.name, uid: pod.metadata?.uid },
          },
        },
      });
      const token = tr.status?.token;
      if (!token) throw new Error('TokenRequest returned no token');
      return { token, expires: new Date(tr.status?.expirationTimestamp ?? Date.now() + expirationSeconds * 1000) };
    },
  };
  const deps: WorkerDeps = {
    core, objects: apiObjectReader(core), tokens, addresses: new PodAddresses(10, 60_000, cfg.podAddressBlock), nodeName: cfg.nodeName,
    stateDir: cfg.stateDir, apiserver: { host: cfg.podApiserverHost, port: cfg.apiserverPort }, log,
    event: eventRecorder(core, cfg.nodeName, log),
  };

  const workers = new Map<string, PodWorker>();
  let listed = false;
  const pods = keepWatching<V1Pod>(kc, '/api/v1/pods',
    async () => {
      const list = await core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${cfg.nodeName}` });
      setImmediate(() => { listed = true; }); // after the list's items have been handed to upsert
      return list;
    },
    {
      upsert(pod) {
        const uid = pod.metadata?.uid ?? '';
        let w = workers.get(uid);
        if (!w) workers.set(uid, (w = new PodWorker(pod, deps, survivors.delete(uid))));
        w.update(pod);
      },
      remove(pod) {
        workers.get(pod.metadata?.uid ?? '')?.forget();
      },
    },
    log, `spec.nodeName=${cfg.nodeName}`);

  // Removes podman pods that no pod bound to this node owns any more (left by a crash or a restart).
  const collectGarbage = async (): Promise<void> => {
    for (const p of await podmanPods(cfg.nodeName)) {
      if (workers.has(p.uid)) continue;
      log(`removing podman pod ${p.name}: no pod ${p.uid} on this node`);
      await podmanStatus(['pod', 'rm', '-f', p.name]);
    }
  };

  let polling = true;
  let tick = 0;
  const poll = async (): Promise<void> => {
    while (polling) {
      const takenAt = Date.now();
      try {
        if (listed && tick++ % 30 === 0) await collectGarbage();
        const containers = await listContainers(`${NODE_LABEL}=${cfg.nodeName}`);
        const byName = new Map(containers.map((c) => [c.name, c]));
        for (const [uid, w] of workers) {
          if (w.done) workers.delete(uid);
          else w.observe({ takenAt, byName });
        }
      } catch (err) {
        log(`container poll failed: ${(err as Error).message}`);
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  };
  void poll();
  log(`node agent for ${cfg.nodeName} running`);

  const shutdown = (): void => {
    polling = false;
    pods.stop();
    provisioner.stop();
    node.stop();
    kubelet.close();
    log('node agent stopped');
    process.exit(0);
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

main().catch((err: unknown) => {
  console.error(`node agent failed: ${err instanceof Error ? err.stack : String(err)}`);
  process.exit(1);
});
