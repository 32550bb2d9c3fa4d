// A scripted stand-in for client-node's Watch (the WatchFn seam) for the watch followers' unit tests.
import type { WatchFn } from './follow-object.js';

/** A fake watch: each call runs the next scripted session with the callbacks; records the queries. */
export function fakeWatch(sessions: Array<(emit: (t: string, o: unknown) => void, done: (e: unknown) => void) => void>): { watch: WatchFn; queries: Array<Record<string, unknown>> } {
  const queries: Array<Record<string, unknown>> = [];
  const watch: WatchFn = async (_path, query, onEvent, done) => {
    queries.push(query);
    const session = sessions.shift();
    queueMicrotask(() => session?.(onEvent, done));
    return { abort() {} };
  };
  return { watch, queries };
}
