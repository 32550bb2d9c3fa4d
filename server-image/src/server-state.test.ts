import { describe, it, expect } from '@jest/globals';
import { ServerState } from './server-state.js';

describe('ServerState idle clock', () => {
  it('counts from the last touch; a hold or a busy probe keeps it at 0; the release is activity', () => {
    let t = 0;
    const state = new ServerState(() => t);
    t = 5_000;
    expect(state.idleSeconds()).toBe(5);
    const release = state.hold();
    t = 60_000;
    expect(state.idleSeconds()).toBe(0);
    t = 70_000;
    release();
    release(); // twice is once
    t = 73_000;
    expect(state.idleSeconds()).toBe(3);
    let busy = true;
    state.addBusyProbe(() => busy);
    t = 90_000;
    expect(state.idleSeconds()).toBe(0);
    busy = false;
    t = 92_000;
    expect(state.idleSeconds()).toBe(2);
  });
});
