// FakeKube: an in-memory API server behind the KubeClient interface, for unit tests of code that talks
// to Kubernetes. Objects are stored by path; it assigns uid, resourceVersion and generation, honours
// resourceVersion preconditions on PUT and merge-patch, uid preconditions on DELETE, and records every
// write as "VERB path" (reads are not recorded). `failNext(verb, pathPart, code)` injects one error.
import { KubeConfig } from '@kubernetes/client-node';
import { KubeApiError, KubeClient, type KubeObject, type RequestOptions } from './client.js';

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

function mergePatch(target: unknown, patch: unknown): unknown {
  if (!patch || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> = target && typeof target === 'object' && !Array.isArray(target) ? { ...(target as object) } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

export class FakeKube extends KubeClient {
  readonly objects = new Map<string, KubeObject>();
  readonly actions: string[] = [];
  private rv = 1;
  private uid = 1;
  private failures: Array<{ verb: Method; pathPart: string; code: number }> = [];

  constructor() {
    super(new KubeConfig());
  }

  failNext(verb: Method, pathPart: string, code: number): void {
    this.failures.push({ verb, pathPart, code });
  }

  /** Stores an object as if another client had created it (not recorded as an action). */
  seed(path: string, obj: KubeObject): KubeObject {
    const stored = structuredClone(obj);
    stored.metadata = { ...stored.metadata, uid: stored.metadata?.uid ?? `uid-${this.uid++}`, resourceVersion: String(this.rv++), generation: stored.metadata?.generation ?? 1 };
    this.objects.set(path, stored);
    return structuredClone(stored);
  }

  override async request<T = KubeObject>(method: Method, path: string, options: RequestOptions = {}): Promise<T> {
    const fail = this.failures.findIndex((f) => f.verb === method && path.includes(f.pathPart));
    if (fail >= 0) {
      const [f] = this.failures.splice(fail, 1);
      if (method !== 'GET') this.actions.push(`${method} ${path} → ${f!.code}`);
      throw new KubeApiError(f!.code, { message: 'injected', reason: 'Injected' }, method, path);
    }
    if (method !== 'GET') this.actions.push(`${method} ${path}`);
    const err = (code: number, reason: string) => new KubeApiError(code, { reason, message: `${reason}: ${path}` }, method, path);
    const subresource = path.endsWith('/status') ? 'status' : undefined;
    const objPath = subresource ? path.slice(0, -'/status'.length) : path;
    switch (method) {
      case 'GET': {
        const o = this.objects.get(objPath);
        if (o) return structuredClone(o) as T;
        const items = [...this.objects.entries()].filter(([p]) => p.startsWith(`${path}/`) && !p.slice(path.length + 1).includes('/')).map(([, o]) => structuredClone(o));
        if (items.length || /\/(pods|services|secrets|persistentvolumeclaims|networkpolicies|agentworkspaces|leases|events)$/.test(path)) {
          return { metadata: { resourceVersion: String(this.rv) }, items } as T;
        }
        throw err(404, 'NotFound');
      }
      case 'POST': {
        const body = structuredClone(options.body) as KubeObject;
        const target = `${path}/${body.metadata?.name}`;
        if (this.objects.has(target)) throw err(409, 'AlreadyExists');
        if (body.stringData) {
          body.data = Object.fromEntries(Object.entries(body.stringData as Record<string, string>).map(([k, v]) => [k, Buffer.from(v).toString('base64')]));
          delete body.stringData;
        }
        return this.seed(target, body) as T;
      }
      case 'PUT': {
        const cur = this.objects.get(objPath);
        if (!cur) throw err(404, 'NotFound');
        const body = structuredClone(options.body) as KubeObject;
        if (body.metadata?.resourceVersion && body.metadata.resourceVersion !== cur.metadata?.resourceVersion) throw err(409, 'Conflict');
        const next = { ...body, metadata: { ...body.metadata, uid: cur.metadata?.uid, resourceVersion: String(this.rv++) } };
        this.objects.set(objPath, next);
        return structuredClone(next) as T;
      }
      case 'PATCH': {
        const cur = this.objects.get(objPath);
        if (!cur) throw err(404, 'NotFound');
        const patch = structuredClone(options.body) as KubeObject;
        const want = patch.metadata?.resourceVersion;
        if (want && want !== cur.metadata?.resourceVersion) throw err(409, 'Conflict');
        if (patch.metadata) delete patch.metadata.resourceVersion;
        const scoped = subresource ? { status: patch.status } : (({ status: _s, ...rest }) => rest)(patch);
        const next = mergePatch(cur, scoped) as KubeObject;
        next.metadata = { ...next.metadata, resourceVersion: String(this.rv++) };
        if (!subresource && patch.spec !== undefined) next.metadata.generation = (cur.metadata?.generation ?? 1) + 1;
        this.objects.set(objPath, next);
        return structuredClone(next) as T;
      }
      case 'DELETE': {
        const cur = this.objects.get(objPath);
        if (!cur) throw err(404, 'NotFound');
        const uid = (options.body as { preconditions?: { uid?: string } } | undefined)?.preconditions?.uid;
        if (uid && uid !== cur.metadata?.uid) throw err(409, 'Conflict');
        this.objects.delete(objPath);
        return {} as T;
      }
    }
  }
}
