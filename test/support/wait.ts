// Polling for conditions in tests. The timeout only bounds a hang; no test asserts on durations.

export type Truthy<T> = Exclude<T, false | null | undefined | 0 | ''>;

/** Resolves with the first truthy value of `probe`, polling every `intervalMs`; rejects after `timeoutMs`. */
export async function waitFor<T>(probe: () => T | Promise<T>, what: string, { timeoutMs = 20_000, intervalMs = 25 } = {}): Promise<Truthy<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value as Truthy<T>;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
    }
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
