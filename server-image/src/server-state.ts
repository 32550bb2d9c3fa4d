// The server's lifecycle (starting → ready → stopping) and its activity clock.
//
// /ready answers 200 only in `ready`. The activity clock feeds `idle_time` in /server_info, which
// runtime managers (and the operator's lifetime.idleTimeout) use to reap idle sandboxes: bash, file and git calls
// and conversation events advance it, as in OpenHands, and so does every authenticated /api request; while a
// WebSocket is open (`hold`) or a busy probe says so (a running command or conversation) the server is not idle.
// Unauthenticated /health, /ready and /server_info reads do not count.
export type Phase = 'starting' | 'ready' | 'stopping';

export class ServerState {
  private phaseValue: Phase = 'starting';
  private readonly startedAt: number;
  private lastActivity: number;
  private holds = 0;
  private readonly busyProbes: Array<() => boolean> = [];

  constructor(private readonly now: () => number = Date.now) {
    this.startedAt = now();
    this.lastActivity = this.startedAt;
  }

  get phase(): Phase {
    return this.phaseValue;
  }

  markReady(): void {
    if (this.phaseValue === 'starting') this.phaseValue = 'ready';
  }

  beginShutdown(): void {
    this.phaseValue = 'stopping';
  }

  /** Records client activity (bash, file, git, conversation calls). */
  touch(): void {
    this.lastActivity = this.now();
  }

  /** Whole seconds since start. */
  uptimeSeconds(): number {
    return Math.floor((this.now() - this.startedAt) / 1000);
  }

  /** Not idle while `probe` answers true (checked whenever idle_time is read). */
  addBusyProbe(probe: () => boolean): void {
    this.busyProbes.push(probe);
  }

  /** Not idle until the returned release is called (an open WebSocket); the release counts as activity. */
  hold(): () => void {
    this.holds++;
    this.touch();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.holds--;
      this.touch();
    };
  }

  /** Whole seconds since the last recorded activity; 0 while held or busy. */
  idleSeconds(): number {
    if (this.holds > 0 || this.busyProbes.some((busy) => busy())) this.touch();
    return Math.floor((this.now() - this.lastActivity) / 1000);
  }
}
