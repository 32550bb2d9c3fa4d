// The server's lifecycle (starting → ready → stopping) and its activity clock.
//
// /ready answers 200 only in `ready`. The activity clock feeds `idle_time` in /server_info, which
// runtime managers use to reap idle sandboxes; bash, file and git calls advance it, as in OpenHands.
export type Phase = 'starting' | 'ready' | 'stopping';

export class ServerState {
  private phaseValue: Phase = 'starting';
  private readonly startedAt: number;
  private lastActivity: number;

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

  /** Whole seconds since the last recorded activity. */
  idleSeconds(): number {
    return Math.floor((this.now() - this.lastActivity) / 1000);
  }
}
