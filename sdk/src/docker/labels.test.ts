import { hostname } from 'node:os';
import { describe, expect, it } from '@jest/globals';
import { isStale, ownerLabels } from './labels.js';

describe('isStale: a container of this host whose owner process is gone and that is not kept alive', () => {
  const dead = () => false;
  const alive = () => true;
  it.each([
    ['its owner is gone', ownerLabels(false, 4242), dead, true],
    ['its owner still runs', ownerLabels(false, 4242), alive, false],
    ['it is kept alive', ownerLabels(true, 4242), dead, false],
    ['another host\'s', { ...ownerLabels(false, 4242), 'dev.agentworkspace.owner-host': `not-${hostname()}` }, dead, false],
    ['not the SDK\'s', { other: 'x' }, dead, false],
    ['a bad pid', { ...ownerLabels(false, 4242), 'dev.agentworkspace.owner-pid': 'x' }, dead, false],
  ] as const)('%s → %s', (_case, labels, pidAlive, stale) => {
    expect(isStale(labels, pidAlive)).toBe(stale);
  });

  it('this process is alive', () => {
    expect(isStale(ownerLabels(false))).toBe(false);
  });
});
