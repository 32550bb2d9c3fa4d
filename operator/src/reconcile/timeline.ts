/**
 * The moments of one reconcile pass (epoch ms), for the one log line a warm claim writes ("claim timeline"): the
 * pool benchmark reads it to break claim → Ready into phases. Marks are cheap; nothing is logged unless asked.
 */
export class Timeline {
  private readonly marks: Array<[string, number]> = [];

  constructor(private readonly now: () => number = Date.now) {}

  /** Records `name` at the current time (marked again, the later time is the one the line shows). */
  mark(name: string, at = this.now()): void {
    this.marks.push([name, at]);
  }

  has(name: string): boolean {
    return this.marks.some(([n]) => n === name);
  }

  /** The marks as { name: epochMs }, in the order of their first mark; a name marked twice shows its last time. */
  toJSON(): Record<string, number> {
    return Object.fromEntries(this.marks);
  }
}
