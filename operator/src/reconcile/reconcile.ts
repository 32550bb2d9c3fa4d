/**
 * reconcile(key): level-triggered. It reads the workspace and its children from the informer caches
 * (never mutating them), builds the desired children as data, converges the cluster towards them, and
 * writes the status only when it changed. It does not know which event brought the key.
 *
 * Outcomes: returns normally (success; `requeueAfterMs` for the lifetime deadline), returns
 * `{terminal: true}` after recording a terminal condition (not retried), or throws (transient: the
 * caller requeues with backoff).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import {
  API_VERSION, AgentWorkspace, AgentWorkspaceSpec, AgentWorkspaceStatus, KIND, Reason, durationMs,
  type AgentWorkspaceStatus as Status,
} from '../api/agentworkspace.js';
import { WORKSPACE_LABEL, parseKey } from '../api/keys.js';
import { pathOf, resourcePath, type KubeApiError, type KubeClient, type KubeObject } from '../kube/client.js';
import { isAlreadyExists, isConflict, isNotFound, statusCodeOf } from '../kube/errors.js';
import type { Logger } from '../log.js';
import {
  CONTAINER_NAME, SPEC_HASH_ANNOTATION, canonicalJson, desiredNetworkPolicy, desiredPod, desiredPvc, desiredService, desiredSessionSecret,
  names, sessionKeyRef, workspaceUrl, type DesiredSettings,
} from './desired.js';
import { TerminalError } from './errors.js';
import { computeStatus, readyCondition, rfc3339, type PodView, type StatusInput } from './status.js';

/** Read-only views of the informer caches (objects must not be modified). */
export interface Cache {
  get(name: string, namespace?: string): KubeObject | undefined;
}

export interface Caches {
  workspaces: Cache;
  pods: Cache;
  services: Cache;
  secrets: Cache;
  pvcs: Cache;
  networkPolicies: Cache;
}

export type EventType = 'Normal' | 'Warning';

export interface ReconcileDeps {
  client: KubeClient;
  caches: Caches;
  settings: DesiredSettings;
  log: Logger;
  now: () => Date;
  /** Failures of this key so far: a transient error is shown as ReconcileError only once it persists. */
  attempts: number;
  recordEvent: (ws: KubeObject, type: EventType, reason: string, message: string) => void;
  /** Called with each status the operator computed (for metrics). */
  observeStatus: (key: string, before: Status | undefined, after: Status, ws: KubeObject) => void;
}

export interface ReconcileResult {
  requeueAfterMs?: number;
  terminal?: boolean;
}

/** Failures of one key after which a transient error shows in the Ready condition (3: a blip does not flap Ready). */
const SHOW_TRANSIENT_AFTER = 3;
/** While the previous pod terminates, look again this often (its delete event normally comes first). */
const TERMINATING_POLL_MS = 5_000;

export async function reconcile(key: string, deps: ReconcileDeps): Promise<ReconcileResult> {
  const { namespace, name } = parseKey(key);
  const raw = deps.caches.workspaces.get(name, namespace);
  if (!raw || raw.metadata?.deletionTimestamp) return {};
  const log = deps.log.child({ workspace: key, reconcileId: randomUUID() });

  const parsed = AgentWorkspace.safeParse(raw);
  if (!parsed.success) {
    const message = `Invalid spec: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`;
    const shell = AgentWorkspace.parse({
      apiVersion: API_VERSION, kind: KIND, metadata: raw.metadata, spec: AgentWorkspaceSpec.parse({}),
      status: AgentWorkspaceStatus.safeParse(raw.status).data,
    });
    await finish(raw, shell, { failure: { reason: Reason.InvalidSpec, message } }, deps, log);
    return { terminal: true };
  }
  const ws = parsed.data;
  const now = deps.now();
  const expiresAt = expiryOf(ws);
  const expired = expiresAt !== undefined && now >= expiresAt;

  let children: Children = { serviceReady: false };
  let failure: StatusInput['failure'];
  let transient: unknown;
  try {
    await checkReferences(ws, deps);
    children = await converge(ws, expired, deps, log);
  } catch (err) {
    if (err instanceof TerminalError) {
      failure = { reason: err.reason, message: err.message };
    } else {
      transient = err;
      if (deps.attempts + 1 >= SHOW_TRANSIENT_AFTER) failure = { reason: Reason.ReconcileError, message: `Retrying after an error: ${(err as Error).message}` };
    }
  }
  await finish(raw, ws, { pod: children.pod, serviceReady: children.serviceReady, unboundClaim: children.unboundClaim, failure, expiresAt }, deps, log);
  if (transient) throw transient;
  if (failure) return { terminal: true };
  if (children.waitingForTermination) return { requeueAfterMs: TERMINATING_POLL_MS };
  if (expiresAt && !expired) return { requeueAfterMs: Math.max(1, expiresAt.getTime() - now.getTime()) };
  return {};
}

/** The earlier of creation + maxLifetime and shutdownTime; undefined for Never without shutdownTime. */
export function expiryOf(ws: AgentWorkspace): Date | undefined {
  const candidates: number[] = [];
  const created = ws.metadata.creationTimestamp;
  const lifetime = durationMs(ws.spec.lifetime.maxLifetime);
  if (created && lifetime !== undefined) candidates.push(new Date(created).getTime() + lifetime);
  if (ws.spec.lifetime.shutdownTime) candidates.push(new Date(ws.spec.lifetime.shutdownTime).getTime());
  return candidates.length ? new Date(Math.min(...candidates)) : undefined;
}

/** Checks only the operator can make: Secrets the spec references exist and hold the keys it names. */
async function checkReferences(ws: AgentWorkspace, deps: ReconcileDeps): Promise<void> {
  const ns = ws.metadata.namespace;
  const refs: Array<{ field: string; secret: string; keyField: string; key: string }> = [];
  if (ws.spec.llm) refs.push({ field: 'spec.llm.secretName', secret: ws.spec.llm.secretName, keyField: 'spec.llm.apiKeyKey', key: ws.spec.llm.apiKeyKey });
  if (ws.spec.sessionApiKey) {
    const { secretName, key } = ws.spec.sessionApiKey;
    refs.push({ field: 'spec.sessionApiKey.secretName', secret: secretName, keyField: 'spec.sessionApiKey.key', key });
  }
  for (const ref of refs) {
    let secret: KubeObject;
    try {
      secret = await deps.client.get(resourcePath('v1', 'Secret', ns, ref.secret));
    } catch (err) {
      if (isNotFound(err)) throw new TerminalError(Reason.InvalidSpec, `${ref.field}: Secret "${ref.secret}" not found in namespace "${ns}".`);
      throw err;
    }
    const data = (secret.data ?? {}) as Record<string, string>;
    if (!data[ref.key]) throw new TerminalError(Reason.InvalidSpec, `${ref.keyField}: Secret "${ref.secret}" has no key "${ref.key}".`);
  }
}

interface Children {
  pod?: PodView;
  serviceReady: boolean;
  /** The workspace's PVC while it is not Bound yet (the scheduler waits for it). */
  unboundClaim?: string;
  waitingForTermination?: boolean;
}

function controlledBy(obj: KubeObject, ws: AgentWorkspace): boolean {
  return !!obj.metadata?.ownerReferences?.some((r) => r.controller && r.uid === ws.metadata.uid);
}

/** An unowned child carrying this workspace's label (a PVC kept by reclaimPolicy Retain) is adopted. */
function adoptable(obj: KubeObject, ws: AgentWorkspace): boolean {
  return !obj.metadata?.ownerReferences?.some((r) => r.controller) && obj.metadata?.labels?.[WORKSPACE_LABEL] === ws.metadata.name;
}

function ownedByPredecessor(obj: KubeObject, ws: AgentWorkspace): boolean {
  return !!obj.metadata?.ownerReferences?.some((r) => r.controller && r.kind === KIND && r.apiVersion === API_VERSION && r.name === ws.metadata.name && r.uid !== ws.metadata.uid);
}

/**
 * Throws for an object with a child's name that this workspace may not touch: transient while it still
 * belongs to a deleted workspace of the same name (garbage collection will remove it), else ResourceConflict.
 */
function refuseForeign(obj: KubeObject, ws: AgentWorkspace, kind: string, name: string): never {
  if (ownedByPredecessor(obj, ws)) throw new Error(`${kind} "${name}" still belongs to a deleted workspace of the same name; waiting for garbage collection`);
  throw new TerminalError(Reason.ResourceConflict, `${kind} "${name}" already exists and is not owned by this workspace; it was left unchanged.`);
}

/** The pod as status should see it right after this pass asked for its deletion. */
function terminating(pod: KubeObject, now: Date): PodView {
  const view = pod as PodView;
  return { ...view, metadata: { ...view.metadata, deletionTimestamp: rfc3339(now) } };
}

/** Maps compared exactly (an extra key changes behaviour, and the API server adds none). */
const EXACT_MAPS = new Set(['selector', 'matchLabels']);

/**
 * true when every field of `want` is present and equal in `have`: the API server adds defaulted fields,
 * which are fine; label maps in {@link EXACT_MAPS} must match exactly.
 */
export function isSubset(want: unknown, have: unknown, exact = false): boolean {
  if (Array.isArray(want)) return Array.isArray(have) && want.length === have.length && want.every((w, i) => isSubset(w, have[i]));
  if (want && typeof want === 'object') {
    if (!have || typeof have !== 'object' || Array.isArray(have)) return false;
    if (exact && Object.keys(have).length !== Object.keys(want).filter((k) => (want as Record<string, unknown>)[k] !== undefined).length) return false;
    return Object.entries(want).every(([k, v]) => v === undefined || isSubset(v, (have as Record<string, unknown>)[k], EXACT_MAPS.has(k)));
  }
  return want === have;
}

/**
 * Creates `desired` when absent, restores its spec (and our labels/ownerReference) when it drifted, and
 * refuses to touch an object of that name it does not control (ResourceConflict).
 */
async function ensure(desired: KubeObject, cached: KubeObject | undefined, ws: AgentWorkspace, deps: ReconcileDeps, log: Logger, compareKey?: string): Promise<KubeObject> {
  const kind = desired.kind ?? '';
  const name = desired.metadata?.name ?? '';
  let actual = cached;
  if (!actual) {
    try {
      const created = await deps.client.create(desired);
      log.info({ kind, name }, 'child created');
      return created;
    } catch (err) {
      if (statusCodeOf(err) === 422) {
        const detail = (err as KubeApiError).body?.message ?? (err as Error).message;
        throw new TerminalError(Reason.InvalidSpec, `The API server refused the ${kind}: ${detail}`);
      }
      if (!isAlreadyExists(err)) throw err;
      actual = await deps.client.get(pathOf(desired));
    }
  }
  if (!controlledBy(actual, ws) && !adoptable(actual, ws)) refuseForeign(actual, ws, kind, name);
  const wantMeta = { labels: desired.metadata?.labels, ownerReferences: desired.metadata?.ownerReferences };
  const metaDrift = !isSubset(wantMeta.labels, actual.metadata?.labels) || (wantMeta.ownerReferences && !controlledBy(actual, ws));
  const specDrift = compareKey !== undefined && !isSubset(desired[compareKey], actual[compareKey]);
  if (specDrift && compareKey) {
    // A replace (with the read resourceVersion) restores the desired top-level fields wholesale, so a
    // key added by hand to a selector disappears too; fields the API server owns (clusterIP) are kept.
    const spec = { ...(actual[compareKey] as object), ...(desired[compareKey] as object) };
    const metadata = { ...actual.metadata, labels: { ...actual.metadata?.labels, ...wantMeta.labels }, ...(wantMeta.ownerReferences ? { ownerReferences: wantMeta.ownerReferences } : {}) };
    actual = await deps.client.replace({ ...actual, metadata, [compareKey]: spec });
  } else if (metaDrift) {
    actual = await deps.client.mergePatch(actual, { metadata: { labels: wantMeta.labels, ...(wantMeta.ownerReferences ? { ownerReferences: wantMeta.ownerReferences } : {}) } });
  }
  if (metaDrift || specDrift) {
    log.info({ kind, name, specDrift, metaDrift }, 'child restored');
    deps.recordEvent(wsObject(ws), 'Normal', 'ChildRestored', `${kind} ${name} was changed outside the operator and restored.`);
  }
  return actual;
}

function wsObject(ws: AgentWorkspace): KubeObject {
  return { apiVersion: API_VERSION, kind: KIND, metadata: { name: ws.metadata.name, namespace: ws.metadata.namespace, uid: ws.metadata.uid } };
}

async function converge(ws: AgentWorkspace, expired: boolean, deps: ReconcileDeps, log: Logger): Promise<Children> {
  const ns = ws.metadata.namespace;
  const n = names(ws);
  const c = deps.caches;

  const key = sessionKeyRef(ws);
  if (key.generated) {
    const cached = c.secrets.get(n.sessionSecret, ns);
    // The key is generated once; an existing Secret keeps its key (clients hold it). A Secret that lost
    // the key gets a new one.
    const fresh = desiredSessionSecret(ws, randomBytes(32).toString('base64url'));
    const secret = await ensure(fresh as KubeObject, cached, ws, deps, log);
    const data = (secret.data ?? {}) as Record<string, string>;
    if (cached && !data[key.key]) {
      await deps.client.mergePatch(secret, { stringData: fresh.stringData });
      log.info({ secret: n.sessionSecret }, 'session key regenerated');
    }
  }

  const pvc = desiredPvc(ws);
  const claim = pvc ? await ensure(pvc as KubeObject, c.pvcs.get(n.pvc, ns), ws, deps, log) : undefined;
  const claimBound = (claim?.status as { phase?: string } | undefined)?.phase === 'Bound';

  await ensure(desiredService(ws) as KubeObject, c.services.get(n.service, ns), ws, deps, log, 'spec');
  // ensure() returned: the Service exists and is ours.
  const base = { serviceReady: true, ...(claim && !claimBound ? { unboundClaim: n.pvc } : {}) };

  const np = desiredNetworkPolicy(ws);
  const cachedNp = c.networkPolicies.get(n.networkPolicy, ns);
  if (np) await ensure(np as unknown as KubeObject, cachedNp, ws, deps, log, 'spec');
  else if (cachedNp && controlledBy(cachedNp, ws)) {
    await deleteIfPresent(cachedNp, deps);
    log.info({ networkPolicy: n.networkPolicy }, 'network policy deleted');
  }

  const cachedPod = c.pods.get(n.pod, ns);
  if (cachedPod && !controlledBy(cachedPod, ws)) refuseForeign(cachedPod, ws, 'Pod', n.pod);
  if (ws.spec.suspended || expired) {
    if (cachedPod && !cachedPod.metadata?.deletionTimestamp) {
      await deleteIfPresent(cachedPod, deps);
      const why = expired ? 'the workspace expired' : 'the workspace is suspended';
      log.info({ pod: n.pod, why }, 'pod deleted');
      deps.recordEvent(wsObject(ws), 'Normal', 'PodDeleted', `Pod ${n.pod} deleted: ${why}.`);
      return { pod: terminating(cachedPod, deps.now()), ...base };
    }
    return { pod: cachedPod as PodView | undefined, ...base };
  }

  const want = desiredPod(ws, deps.settings);
  if (!cachedPod) {
    const created = await ensure(want as KubeObject, undefined, ws, deps, log);
    return { pod: created as PodView, ...base };
  }
  if (cachedPod.metadata?.deletionTimestamp) return { pod: cachedPod as PodView, ...base, waitingForTermination: true };
  const haveHash = cachedPod.metadata?.annotations?.[SPEC_HASH_ANNOTATION];
  const wantHash = want.metadata?.annotations?.[SPEC_HASH_ANNOTATION];
  const haveImage = (cachedPod.spec as { containers?: Array<{ name: string; image?: string }> } | undefined)?.containers?.find((x) => x.name === CONTAINER_NAME)?.image;
  const phase = (cachedPod.status as { phase?: string } | undefined)?.phase;
  const replaceWhy = haveHash !== wantHash ? 'spec changed' : haveImage !== want.spec?.containers[0]?.image ? 'image changed outside the operator' : phase === 'Failed' || phase === 'Succeeded' ? `pod ${phase}` : undefined;
  if (replaceWhy) {
    await deleteIfPresent(cachedPod, deps);
    log.info({ pod: n.pod, why: replaceWhy, haveHash, wantHash }, 'pod replaced');
    deps.recordEvent(wsObject(ws), 'Normal', 'PodReplaced', `Pod ${n.pod} is being replaced: ${replaceWhy}.`);
    return { pod: terminating(cachedPod, deps.now()), ...base, waitingForTermination: true };
  }
  return { pod: cachedPod as PodView, ...base };
}

async function deleteIfPresent(obj: KubeObject, deps: ReconcileDeps): Promise<void> {
  try {
    await deps.client.delete(obj, { uid: obj.metadata?.uid });
  } catch (err) {
    if (!isNotFound(err) && !isConflict(err)) throw err;
  }
}

/** Computes the status, writes it when it changed, and records an Event when the Ready reason changed. */
async function finish(
  raw: KubeObject,
  ws: AgentWorkspace,
  part: Pick<StatusInput, 'pod' | 'failure' | 'expiresAt' | 'unboundClaim'> & { serviceReady?: boolean },
  deps: ReconcileDeps,
  log: Logger,
): Promise<void> {
  const before = ws.status;
  const key = sessionKeyRef(ws);
  const status = computeStatus({
    ws,
    pod: part.pod,
    serviceReady: part.serviceReady ?? false,
    sessionKey: { name: key.name, key: key.key },
    url: workspaceUrl(ws, deps.settings.clusterDomain),
    failure: part.failure,
    expiresAt: part.expiresAt,
    now: deps.now(),
  });
  deps.observeStatus(`${ws.metadata.namespace}/${ws.metadata.name}`, before, status, raw);
  if (sameStatus(before, status)) return;
  const stored = await writeStatus(raw, before, status, deps);
  if (stored === 'unchanged') return;
  const prev = readyCondition(stored);
  const next = readyCondition(status);
  if (next && (prev?.reason !== next.reason || prev?.status !== next.status)) {
    log.info({ ready: next.status, reason: next.reason, was: prev?.reason }, 'Ready changed');
    const warning = [Reason.ImagePullFailed, Reason.PodFailed, Reason.Unschedulable, Reason.InvalidSpec, Reason.ResourceConflict, Reason.ReconcileError].includes(next.reason as never);
    deps.recordEvent(raw, warning ? 'Warning' : 'Normal', next.reason, next.message);
  }
}

export function sameStatus(a: Status | undefined, b: Status): boolean {
  return canonicalJson(a ?? {}) === canonicalJson(b);
}

/**
 * Merge-patches /status with the cached resourceVersion as a precondition, so a status computed from
 * an outdated object is never written. On a conflict it re-reads the workspace: a changed generation
 * means a newer spec, whose own event has queued the key, so this write is dropped; otherwise the
 * write is retried (twice) against the fresh version. Returns the status it replaced, or 'unchanged'.
 */
async function writeStatus(raw: KubeObject, before: Status | undefined, next: Status, deps: ReconcileDeps): Promise<Status | undefined | 'unchanged'> {
  let resourceVersion = raw.metadata?.resourceVersion;
  let prev = before;
  for (let attempt = 0; ; attempt++) {
    const patch: Record<string, unknown> = { ...next };
    for (const k of Object.keys(prev ?? {})) if (!(k in next)) patch[k] = null;
    try {
      await deps.client.mergePatch(raw, { metadata: { resourceVersion }, status: patch }, 'status');
      return prev;
    } catch (err) {
      if (isNotFound(err)) return 'unchanged';
      if (!isConflict(err) || attempt >= 2) throw err;
      const fresh = await deps.client.get(pathOf(raw));
      if (fresh.metadata?.generation !== raw.metadata?.generation) return 'unchanged';
      resourceVersion = fresh.metadata?.resourceVersion;
      prev = AgentWorkspaceStatus.safeParse(fresh.status).data;
      if (sameStatus(prev, next)) return 'unchanged';
    }
  }
}
