// Polling for conditions in tests. The timeout only bounds a hang; no test asserts on durations.

export type Truthy<T> = Exclude<T, false | null | undefined | 0 | ''>;

export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /**
   * The end of the thing being waited on (a socket's close, a process's exit), resolving with a sentence that
   * says how it ended. Once it resolves the wait fails at once with that sentence, instead of polling something
   * that can no longer change until the timeout.
   */
  failOn?: Promise<string>;
}

/**
 * Resolves with the first truthy value of `probe`, polling every `intervalMs`; rejects after `timeoutMs`, or as
 * soon as `failOn` resolves (after one last probe, so a condition met just before the end still counts).
 */
export async function waitFor<T>(probe: () => T | Promise<T>, what: string, { timeoutMs = 20_000, intervalMs = 25, failOn }: WaitOptions = {}): Promise<Truthy<T>> {
  const deadline = Date.now() + timeoutMs;
  let ended: string | undefined;
  void failOn?.then((how) => { ended = how; });
  let lastError: unknown;
  for (;;) {
    const endedBeforeProbe = ended;
    try {
      const value = await probe();
      if (value) return value as Truthy<T>;
    } catch (err) {
      lastError = err;
    }
    const detail = lastError ? `: ${String(lastError)}` : '';
    if (endedBeforeProbe !== undefined) throw new Error(`gave up waiting for ${what}: ${endedBeforeProbe}${detail}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${detail}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Resolves with the arguments of the next `event` from `emitter`; rejects on 'error' or after `timeoutMs`. */
export function nextEvent<T extends unknown[] = unknown[]>(
  emitter: { once(event: string, listener: (...args: never[]) => void): unknown; off(event: string, listener: (...args: never[]) => void): unknown },
  event: string, timeoutMs = 20_000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(event, onEvent);
      reject(new Error(`timed out waiting for '${event}'`));
    }, timeoutMs);
    const onEvent = (...args: never[]) => {
      clearTimeout(timer);
      emitter.off('error', onError);
      resolve(args as unknown as T);
    };
    const onError = (err: never) => {
      clearTimeout(timer);
      emitter.off(event, onEvent);
      reject(err);
    };
    emitter.once(event, onEvent);
    if (event !== 'error') emitter.once('error', onError);
  });
}
