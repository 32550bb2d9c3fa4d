/** `POST /api/init` on a dormant agent server (openhands-protocol.md §3.9), as the operator sends it to a claimed pod. */
import { fetch } from 'undici';

export interface InitBody {
  session_api_keys: string[];
  env: Record<string, string>;
}

/** The server answered /api/init with an error status (400: already initialized, 401: wrong init key). */
export class InitRefusedError extends Error {
  override name = 'InitRefusedError';
  constructor(readonly status: number, detail: string) {
    super(`POST /api/init answered ${status}: ${detail}`);
  }
}

/** Initializes the server at `baseUrl`; throws InitRefusedError on a non-2xx answer (its body never holds a key). */
export async function initPod(baseUrl: string, initKey: string, body: InitBody, timeoutMs = 10_000): Promise<void> {
  const res = await fetch(`${baseUrl}/api/init`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-init-api-key': initKey },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  if (!res.ok) throw new InitRefusedError(res.status, text.slice(0, 500));
}
