/**
 * A small JSON client for the API server, authenticated by client-node's KubeConfig.
 *
 * Why not client-node's typed APIs: they deserialize into model classes (Date timestamps, `_from` for
 * `from`) while watch events arrive as plain JSON, so an informer cache would mix two shapes. Every
 * object this operator reads or writes is plain JSON as the API server sends it.
 */
import { RequestContext, HttpMethod, type KubeConfig } from '@kubernetes/client-node';
import { fetch, type Dispatcher } from 'undici';

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    creationTimestamp?: string;
    deletionTimestamp?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: Array<{ apiVersion: string; kind: string; name: string; uid: string; controller?: boolean; blockOwnerDeletion?: boolean }>;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

export interface KubeList<T extends KubeObject = KubeObject> {
  metadata: { resourceVersion?: string };
  items: T[];
}

/** A non-2xx answer of the API server: `code` is the HTTP status, `body` the Status object. */
export class KubeApiError extends Error {
  override name = 'KubeApiError';
  constructor(
    readonly code: number,
    readonly body: { message?: string; reason?: string } | undefined,
    method: string,
    path: string,
  ) {
    super(`${method} ${path}: ${code} ${body?.reason ?? ''} ${body?.message ?? ''}`.trim());
  }
}

/** The kinds this operator touches, by apiVersion/kind → URL prefix and plural. */
const RESOURCES: Record<string, { prefix: string; plural: string }> = {
  'v1/Pod': { prefix: '/api/v1', plural: 'pods' },
  'v1/Service': { prefix: '/api/v1', plural: 'services' },
  'v1/Secret': { prefix: '/api/v1', plural: 'secrets' },
  'v1/ConfigMap': { prefix: '/api/v1', plural: 'configmaps' },
  'v1/PersistentVolumeClaim': { prefix: '/api/v1', plural: 'persistentvolumeclaims' },
  'v1/Event': { prefix: '/api/v1', plural: 'events' },
  'networking.k8s.io/v1/NetworkPolicy': { prefix: '/apis/networking.k8s.io/v1', plural: 'networkpolicies' },
  'coordination.k8s.io/v1/Lease': { prefix: '/apis/coordination.k8s.io/v1', plural: 'leases' },
  'agentworkspace.dev/v1alpha1/AgentWorkspace': { prefix: '/apis/agentworkspace.dev/v1alpha1', plural: 'agentworkspaces' },
  'agentworkspace.dev/v1alpha1/AgentWorkspacePool': { prefix: '/apis/agentworkspace.dev/v1alpha1', plural: 'agentworkspacepools' },
};

/** The URL path of a kind, in one namespace or (namespace undefined) across all, optionally of one object. */
export function resourcePath(apiVersion: string, kind: string, namespace?: string, name?: string): string {
  const r = RESOURCES[`${apiVersion}/${kind}`];
  if (!r) throw new Error(`unsupported kind ${apiVersion}/${kind}`);
  const ns = namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${r.prefix}${ns}/${r.plural}${name ? `/${encodeURIComponent(name)}` : ''}`;
}

export function pathOf(obj: KubeObject, subresource?: string): string {
  const p = resourcePath(obj.apiVersion ?? '', obj.kind ?? '', obj.metadata?.namespace, obj.metadata?.name);
  return subresource ? `${p}/${subresource}` : p;
}

export const FIELD_MANAGER = 'agent-workspace-operator';

export interface RequestOptions {
  body?: unknown;
  contentType?: string;
  query?: Record<string, string | undefined>;
}

/** The resource a request path names (`pods`, `agentworkspaces/status`, `namespaces`), for counting requests. */
export function resourceOf(path: string): string {
  const rest = path.replace(/^\/api\/v1\/|^\/apis\/[^/]+\/[^/]+\//, '').split('/');
  const parts = rest[0] === 'namespaces' && rest.length > 2 ? rest.slice(2) : rest;
  return parts.length > 2 ? `${parts[0]}/${parts[2]}` : (parts[0] ?? '');
}

/**
 * How long one connection pool to the API server is used before a fresh one is made (the old one is closed once its
 * requests are done): client certificates rotated on disk are picked up within this time.
 */
const DISPATCHER_TTL_MS = 5 * 60_000;

export class KubeClient {
  private pool: { dispatcher: Dispatcher; until: number } | undefined;

  /** `onRequest` sees each request as it is sent (the operator counts them in its metrics). */
  constructor(readonly kubeConfig: KubeConfig, private readonly onRequest?: (method: string, path: string) => void) {}

  /**
   * The connection pool requests go through. client-node's applySecurityAuthentication makes a new undici Agent for
   * every request, so each request would open its own TCP and TLS connection (a full handshake on both sides, which
   * on a busy machine cost more than the request itself); its Agent is only used when this holds none or expired.
   * Credentials in headers (tokens) still come from applySecurityAuthentication per request.
   */
  private dispatcherOf(fresh: Dispatcher | undefined): Dispatcher | undefined {
    if (!fresh) return this.pool?.dispatcher;
    const now = Date.now();
    if (this.pool && now < this.pool.until) {
      void fresh.close().catch(() => undefined); // never connected: closing it is free
      return this.pool.dispatcher;
    }
    const old = this.pool?.dispatcher;
    this.pool = { dispatcher: fresh, until: now + DISPATCHER_TTL_MS };
    if (old) void old.close().catch(() => undefined); // waits for its requests in flight
    return fresh;
  }

  /** Closes the pooled connections (tests and shutdown; later requests open new ones). */
  async close(): Promise<void> {
    const old = this.pool?.dispatcher;
    this.pool = undefined;
    await old?.close().catch(() => undefined);
  }

  /** One API request; JSON in and out; throws {@link KubeApiError} on a non-2xx status. */
  async request<T = KubeObject>(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, options: RequestOptions = {}): Promise<T> {
    const server = this.kubeConfig.getCurrentCluster()?.server;
    if (!server) throw new Error('kubeconfig has no current cluster');
    const url = new URL(server.replace(/\/$/, '') + path);
    this.onRequest?.(method, path);
    for (const [k, v] of Object.entries(options.query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
    const ctx = new RequestContext(url.toString(), HttpMethod[method]);
    await this.kubeConfig.applySecurityAuthentication(ctx);
    const headers: Record<string, string> = { ...ctx.getHeaders(), accept: 'application/json' };
    if (options.body !== undefined) headers['content-type'] = options.contentType ?? 'application/json';
    const res = await fetch(url, {
      method,
      headers,
      dispatcher: this.dispatcherOf(ctx.getDispatcher() as Dispatcher | undefined),
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    const parsed = text ? (JSON.parse(text) as unknown) : undefined;
    if (!res.ok) throw new KubeApiError(res.status, parsed as KubeApiError['body'], method, path);
    return parsed as T;
  }

  get<T extends KubeObject = KubeObject>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  /** Lists a collection; items get the apiVersion and kind the API server leaves out of list items. */
  async list<T extends KubeObject = KubeObject>(path: string, labelSelector?: string): Promise<KubeList<T>> {
    const list = await this.request<KubeList<T> & { apiVersion?: string; kind?: string }>('GET', path, { query: { labelSelector } });
    const kind = list.kind?.replace(/List$/, '');
    for (const item of list.items) {
      item.apiVersion ??= list.apiVersion;
      item.kind ??= kind;
    }
    return list;
  }

  create<T extends KubeObject>(obj: T): Promise<T> {
    const path = resourcePath(obj.apiVersion ?? '', obj.kind ?? '', obj.metadata?.namespace);
    return this.request<T>('POST', path, { body: obj, query: { fieldManager: FIELD_MANAGER } });
  }

  /** JSON merge patch of an object (or its `subresource`, e.g. "status"). */
  mergePatch<T extends KubeObject>(target: KubeObject, patch: unknown, subresource?: string): Promise<T> {
    return this.request<T>('PATCH', pathOf(target, subresource), {
      body: patch,
      contentType: 'application/merge-patch+json',
      query: { fieldManager: FIELD_MANAGER },
    });
  }

  replace<T extends KubeObject>(obj: T): Promise<T> {
    return this.request<T>('PUT', pathOf(obj), { body: obj, query: { fieldManager: FIELD_MANAGER } });
  }

  /**
   * Deletes with optional preconditions: uid (never deletes a same-named successor), resourceVersion (never deletes
   * an object changed since it was read, e.g. a warm pod a workspace has just claimed).
   */
  delete(target: KubeObject, options: { uid?: string; resourceVersion?: string; propagationPolicy?: 'Background' | 'Foreground' } = {}): Promise<unknown> {
    const body: Record<string, unknown> = { kind: 'DeleteOptions', apiVersion: 'v1' };
    if (options.uid || options.resourceVersion) {
      body.preconditions = { ...(options.uid ? { uid: options.uid } : {}), ...(options.resourceVersion ? { resourceVersion: options.resourceVersion } : {}) };
    }
    if (options.propagationPolicy) body.propagationPolicy = options.propagationPolicy;
    return this.request('DELETE', pathOf(target), { body });
  }
}
