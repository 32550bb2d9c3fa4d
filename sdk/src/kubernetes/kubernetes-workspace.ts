// A workspace in an AgentWorkspace on Kubernetes: create (or attach to) the custom resource, watch it until
// Ready, read the session key from the Secret its status names, and connect — in the cluster by status.url,
// from outside through the API server's service proxy (a loopback forwarder with the kubeconfig's
// credentials), or by an explicit URL. Everything after that is the RemoteWorkspace it extends (execute,
// upload, download, git, and startConversation's RemoteConversation); close() also stops the forwarder and
// deletes the AgentWorkspace unless keepAlive.
import { CoreV1Api, CustomObjectsApi, KubeConfig, Watch } from '@kubernetes/client-node';
import { silentLogger, type Logger } from '../logger.js';
import { RemoteWorkspace } from '../workspace/node-remote-workspace.js';
import { WorkspaceStartError } from '../remote/errors.js';
import { errorFromKubernetes } from './errors.js';
import { startServiceProxy, type ServiceProxy } from './api-proxy.js';
import {
  AttachKubernetesWorkspaceOptionsSchema, DeleteKubernetesWorkspaceOptionsSchema, KubernetesWorkspaceOptionsSchema,
  ListKubernetesWorkspacesOptionsSchema, type AttachKubernetesWorkspaceOptions, type ConnectMode, type DeleteKubernetesWorkspaceOptions,
  type KubernetesWorkspaceOptions, type ListKubernetesWorkspacesOptions,
} from './options.js';
import { waitUntilGone } from './wait-gone.js';
import { waitUntilReachable } from './wait-reachable.js';
import { waitForReady, type AgentWorkspaceObject, type ReadyProgress, type WatchFn } from './wait-ready.js';

export const GROUP = 'agentworkspace.dev';
export const VERSION = 'v1alpha1';
export const PLURAL = 'agentworkspaces';
/** The Service port the operator gives the server (operator/src/api/agentworkspace.ts SERVER_PORT). */
export const SERVER_PORT = 8000;

/** Test seams: replace client-node's Watch. */
export interface KubernetesWorkspaceSeams {
  watch?: WatchFn;
}

/** One AgentWorkspace as `KubernetesWorkspace.list` reports it. */
export interface KubernetesWorkspaceInfo {
  name: string;
  namespace: string;
  /** The Ready condition as the operator last wrote it; undefined before it wrote one. */
  ready: { status: string; reason: string | undefined; message: string | undefined } | undefined;
  /** status.url: the in-cluster URL. */
  clusterUrl: string | undefined;
}

interface Connection {
  kubeConfig: KubeConfig;
  namespace: string;
  name: string;
  keepAlive: boolean;
  logger: Logger;
  proxy: ServiceProxy | undefined;
  object: AgentWorkspaceObject;
  /** How it connected. */
  via: 'direct' | 'proxy' | 'url';
}

function loadKubeConfig(kubeconfig: string | KubeConfig | undefined): KubeConfig {
  if (kubeconfig instanceof KubeConfig) return kubeconfig;
  if (kubeconfig && typeof kubeconfig === 'object') return kubeconfig;
  const kc = new KubeConfig();
  if (typeof kubeconfig === 'string') kc.loadFromFile(kubeconfig); else kc.loadFromDefault();
  return kc;
}

/** In the cluster: the kubelet's service variables are set and the kubeconfig is the service account's. */
export function runsInCluster(kc: KubeConfig, env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.KUBERNETES_SERVICE_HOST) && kc.getCurrentCluster()?.name === 'inCluster';
}

function defaultNamespace(kc: KubeConfig): string {
  const ctx = kc.getContextObject(kc.getCurrentContext());
  return ctx?.namespace || 'default';
}

export class KubernetesWorkspace extends RemoteWorkspace {
  /** The AgentWorkspace's name and namespace. */
  readonly name: string;
  readonly namespace: string;
  /** How the SDK reaches the server: status.url, the API server's proxy, or the explicit URL. */
  readonly via: 'direct' | 'proxy' | 'url';
  /** The in-cluster URL from status.url (reachable only from inside the cluster). */
  readonly clusterUrl: string;
  private readonly conn: Connection;
  private closed = false;

  private constructor(url: string, sessionApiKey: string, workingDir: string, conn: Connection) {
    super({ url, sessionApiKey, workingDir });
    this.conn = conn;
    this.name = conn.name;
    this.namespace = conn.namespace;
    this.via = conn.via;
    this.clusterUrl = conn.object.status?.url ?? '';
  }

  /**
   * Creates an AgentWorkspace, waits (a watch) until it is Ready and connects. On a terminal reason or the timeout
   * it throws the matching WorkspaceNotReadyError subclass or WorkspaceReadyTimeoutError and deletes the
   * AgentWorkspace (unless keepAlive).
   */
  static async create(options: KubernetesWorkspaceOptions = {}, seams: KubernetesWorkspaceSeams = {}): Promise<KubernetesWorkspace> {
    const o = KubernetesWorkspaceOptionsSchema.parse(options);
    const kc = loadKubeConfig(o.kubeconfig);
    const namespace = o.namespace ?? defaultNamespace(kc);
    const logger = o.logger ?? silentLogger;
    const custom = kc.makeApiClient(CustomObjectsApi);
    const spec: Record<string, unknown> = {};
    if (o.image) spec.image = o.image;
    if (o.imagePullPolicy) spec.imagePullPolicy = o.imagePullPolicy;
    if (o.resources) spec.resources = o.resources;
    if (o.storage) spec.storage = o.storage;
    if (o.lifetime) spec.lifetime = o.lifetime;
    if (o.env) spec.env = Object.entries(o.env).map(([name, value]) => ({ name, value }));
    if (o.llm) spec.llm = o.llm;
    if (o.pool) spec.poolRef = { name: o.pool };
    const body = {
      apiVersion: `${GROUP}/${VERSION}`,
      kind: 'AgentWorkspace',
      metadata: { ...(o.name ? { name: o.name } : { generateName: 'aw-' }), namespace, ...(o.labels ? { labels: o.labels } : {}) },
      spec,
    };
    let created: AgentWorkspaceObject;
    try {
      created = (await custom.createNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: PLURAL, body })) as AgentWorkspaceObject;
    } catch (err) {
      throw errorFromKubernetes(err, `create AgentWorkspace in ${namespace}`);
    }
    const name = created.metadata!.name!;
    logger.info({ workspace: `${namespace}/${name}` }, 'AgentWorkspace created; waiting for Ready');
    try {
      return await KubernetesWorkspace.connect(kc, namespace, name, { ...o, keepAlive: o.keepAlive }, logger, seams);
    } catch (err) {
      if (!o.keepAlive) await deleteWorkspace(kc, namespace, name, logger);
      throw err;
    }
  }

  /** Reconnects to an existing AgentWorkspace by name (waiting until it is Ready). close() keeps it unless keepAlive is false. */
  static async attach(options: AttachKubernetesWorkspaceOptions, seams: KubernetesWorkspaceSeams = {}): Promise<KubernetesWorkspace> {
    const o = AttachKubernetesWorkspaceOptionsSchema.parse(options);
    const kc = loadKubeConfig(o.kubeconfig);
    const namespace = o.namespace ?? defaultNamespace(kc);
    return KubernetesWorkspace.connect(kc, namespace, o.name, o, o.logger ?? silentLogger, seams);
  }

  /** The AgentWorkspaces in a namespace (one GET; nothing is watched or connected). */
  static async list(options: ListKubernetesWorkspacesOptions = {}): Promise<KubernetesWorkspaceInfo[]> {
    const o = ListKubernetesWorkspacesOptionsSchema.parse(options);
    const kc = loadKubeConfig(o.kubeconfig);
    const namespace = o.namespace ?? defaultNamespace(kc);
    let list: { items?: AgentWorkspaceObject[] };
    try {
      list = (await kc.makeApiClient(CustomObjectsApi).listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: PLURAL })) as typeof list;
    } catch (err) {
      throw errorFromKubernetes(err, `list AgentWorkspaces in ${namespace}`);
    }
    return (list.items ?? []).map((obj) => {
      const ready = obj.status?.conditions?.find((c) => c.type === 'Ready');
      return {
        name: obj.metadata?.name ?? '',
        namespace,
        ready: ready ? { status: ready.status, reason: ready.reason, message: ready.message } : undefined,
        clusterUrl: obj.status?.url,
      };
    });
  }

  /**
   * Deletes an AgentWorkspace by name without connecting to it (whatever its state): true when it existed, false
   * when there was none. Returns once the API server accepted the deletion (foreground: the children go first), or
   * with `wait` once it is gone; a deletion still pending after `waitTimeoutMs` is a TimeoutError.
   */
  static async delete(options: DeleteKubernetesWorkspaceOptions, seams: KubernetesWorkspaceSeams = {}): Promise<boolean> {
    const o = DeleteKubernetesWorkspaceOptionsSchema.parse(options);
    const kc = loadKubeConfig(o.kubeconfig);
    const namespace = o.namespace ?? defaultNamespace(kc);
    const existed = await deleteWorkspace(kc, namespace, o.name, silentLogger, true);
    if (existed && o.wait) {
      const custom = kc.makeApiClient(CustomObjectsApi);
      const watcher = new Watch(kc);
      await waitUntilGone({
        name: o.name, namespace, collectionPath: collectionPath(namespace), timeoutMs: o.waitTimeoutMs, logger: silentLogger,
        get: async () => (await custom.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: PLURAL, name: o.name })) as AgentWorkspaceObject,
        watch: seams.watch ?? ((path, query, onEvent, done) => watcher.watch(path, query, onEvent, done)),
      });
    }
    return existed;
  }

  private static async connect(
    kc: KubeConfig, namespace: string, name: string,
    o: { connect: ConnectMode; url?: string | undefined; keepAlive: boolean; readyTimeoutMs: number; waitWhileUnschedulable: boolean; workingDir: string; onProgress?: ((p: ReadyProgress) => void) | undefined },
    logger: Logger, seams: KubernetesWorkspaceSeams,
  ): Promise<KubernetesWorkspace> {
    const deadline = Date.now() + o.readyTimeoutMs;
    const custom = kc.makeApiClient(CustomObjectsApi);
    const watcher = new Watch(kc);
    const ready = await waitForReady({
      name, namespace, collectionPath: collectionPath(namespace), timeoutMs: o.readyTimeoutMs, waitWhileUnschedulable: o.waitWhileUnschedulable, onProgress: o.onProgress, logger,
      get: async () => (await custom.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: PLURAL, name })) as AgentWorkspaceObject,
      watch: seams.watch ?? ((path, query, onEvent, done) => watcher.watch(path, query, onEvent, done)),
    });
    const secretName = ready.status?.sessionKeySecretName;
    const secretKey = ready.status?.sessionKeySecretKey ?? 'sessionApiKey';
    if (!secretName) throw new WorkspaceStartError(`AgentWorkspace ${namespace}/${name} is Ready but names no session key Secret in its status; upgrade the operator.`);
    let sessionApiKey: string;
    try {
      const secret = await kc.makeApiClient(CoreV1Api).readNamespacedSecret({ name: secretName, namespace });
      const encoded = secret.data?.[secretKey];
      if (!encoded) throw new WorkspaceStartError(`Secret ${namespace}/${secretName} has no key "${secretKey}"; the session key is missing.`);
      sessionApiKey = Buffer.from(encoded, 'base64').toString('utf8');
    } catch (err) {
      if (err instanceof WorkspaceStartError) throw err;
      throw errorFromKubernetes(err, `read the session key Secret ${namespace}/${secretName}`);
    }
    const mode = o.url ? 'url' : o.connect === 'auto' ? (runsInCluster(kc) ? 'direct' : 'proxy') : o.connect;
    let proxy: ServiceProxy | undefined;
    let url: string;
    if (mode === 'url') url = o.url!;
    else if (mode === 'direct') url = ready.status!.url!;
    else {
      proxy = await startServiceProxy(kc, { namespace, service: name, port: SERVER_PORT }, logger);
      url = proxy.url;
    }
    try {
      await waitUntilReachable({ workspace: `${namespace}/${name}`, url, deadline, logger });
    } catch (err) {
      await proxy?.close();
      throw err;
    }
    logger.info({ workspace: `${namespace}/${name}`, via: mode, url }, 'connected to the agent server');
    return new KubernetesWorkspace(url, sessionApiKey, o.workingDir, { kubeConfig: kc, namespace, name, keepAlive: o.keepAlive, logger, proxy, object: ready, via: mode });
  }

  /** Stops the forwarder and deletes the AgentWorkspace (its pod, Service, Secret and Delete-policy PVC go with it) unless keepAlive. Idempotent. */
  override async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.conn.proxy?.close();
    if (!this.conn.keepAlive) await deleteWorkspace(this.conn.kubeConfig, this.namespace, this.name, this.conn.logger, true);
  }
}

/** The collection path of AgentWorkspaces in a namespace (what the watches follow). */
function collectionPath(namespace: string): string {
  return `/apis/${GROUP}/${VERSION}/namespaces/${encodeURIComponent(namespace)}/${PLURAL}`;
}

/**
 * Deletes the AgentWorkspace (foreground: its children first): true when it existed; a missing one is fine (false).
 * `strict` rethrows other failures.
 */
async function deleteWorkspace(kc: KubeConfig, namespace: string, name: string, logger: Logger, strict = false): Promise<boolean> {
  try {
    await kc.makeApiClient(CustomObjectsApi).deleteNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: PLURAL, name, propagationPolicy: 'Foreground' });
    return true;
  } catch (err) {
    const classified = errorFromKubernetes(err, `delete AgentWorkspace ${namespace}/${name}`);
    if ((classified as { status?: number }).status === 404) return false;
    if (strict) throw classified;
    logger.warn({ workspace: `${namespace}/${name}`, err: String(classified) }, 'could not delete the AgentWorkspace');
    return false;
  }
}
