/**
 * What a pool reconcile does with its warm pods, as a pure function: keep `replicas` pods of the current template;
 * during a rolling update (outdated pods exist) surge by one and remove an outdated pod only while the ready count
 * stays at or above `replicas - 1`. Failed pods go at once; excess pods go not-ready first.
 */
export interface WarmPodView {
  name: string;
  /** Built from the current template. */
  current: boolean;
  ready: boolean;
  terminating: boolean;
  /** Phase Failed or Succeeded: it will not serve again. */
  failed: boolean;
}

export interface PoolPlan {
  create: number;
  remove: string[];
}

export function planPool(pods: readonly WarmPodView[], replicas: number): PoolPlan {
  const remove: string[] = [];
  const live = pods.filter((p) => !p.terminating && !p.failed);
  for (const p of pods) if (p.failed && !p.terminating) remove.push(p.name);
  const current = live.filter((p) => p.current);
  const outdated = live.filter((p) => !p.current);
  const notReadyFirst = (a: WarmPodView, b: WarmPodView) => Number(a.ready) - Number(b.ready);

  if (outdated.length === 0) {
    if (current.length > replicas) remove.push(...[...current].sort(notReadyFirst).slice(0, current.length - replicas).map((p) => p.name));
    return { create: Math.max(0, replicas - current.length), remove };
  }
  // Rolling update: at most replicas + 1 live pods; outdated pods that are not ready go at once, a ready one
  // only while the others keep replicas - 1 ready; one ready pod per pass (the next pass sees the new state).
  let ready = live.filter((p) => p.ready).length;
  let alive = live.length;
  for (const p of [...outdated].sort(notReadyFirst)) {
    if (!p.ready) {
      remove.push(p.name);
      alive--;
    } else if (ready - 1 >= replicas - 1 && alive > current.length) {
      remove.push(p.name);
      ready--;
      alive--;
      break;
    }
  }
  const room = replicas + 1 - alive;
  return { create: Math.max(0, Math.min(replicas - current.length, room)), remove };
}
