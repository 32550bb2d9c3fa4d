import { describe, it, expect } from '@jest/globals';
import { planPool, type WarmPodView } from './plan.js';

const pod = (name: string, o: Partial<WarmPodView> = {}): WarmPodView => ({ name, current: true, ready: true, terminating: false, failed: false, ...o });

describe('planPool', () => {
  it('creates what is missing, removes failed and excess pods (not-ready first)', () => {
    expect(planPool([], 3)).toEqual({ create: 3, remove: [] });
    expect(planPool([pod('a'), pod('b', { failed: true })], 2)).toEqual({ create: 1, remove: ['b'] });
    expect(planPool([pod('a'), pod('b', { ready: false }), pod('c')], 2)).toEqual({ create: 0, remove: ['b'] });
    expect(planPool([pod('a', { terminating: true })], 1)).toEqual({ create: 1, remove: [] });
  });

  it('rolls outdated pods one ready pod at a time, never below replicas - 1 ready, at most replicas + 1 pods', () => {
    // Simulates passes: each created pod becomes ready before the next pass.
    let pods: WarmPodView[] = [pod('o1', { current: false }), pod('o2', { current: false }), pod('o3', { current: false })];
    let n = 0;
    for (let pass = 0; pass < 20 && pods.some((p) => !p.current); pass++) {
      const plan = planPool(pods, 3);
      pods = pods.filter((p) => !plan.remove.includes(p.name));
      expect(pods.filter((p) => p.ready).length).toBeGreaterThanOrEqual(2);
      for (let i = 0; i < plan.create; i++) pods.push(pod(`n${n++}`, { ready: false }));
      expect(pods.length).toBeLessThanOrEqual(4);
      pods = pods.map((p) => ({ ...p, ready: true }));
    }
    expect(pods.map((p) => p.current)).toEqual([true, true, true]);
  });

  it('drops outdated pods that are not ready at once', () => {
    expect(planPool([pod('o', { current: false, ready: false }), pod('a'), pod('b')], 2)).toEqual({ create: 0, remove: ['o'] });
  });
});
