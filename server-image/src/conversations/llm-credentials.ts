// Server-side LLM credentials (LLM_MODEL, LLM_API_KEY, LLM_BASE_URL, e.g. from a Kubernetes Secret), for
// conversations whose agent spec carries no key. The server's key is only ever sent to the server's own
// endpoint: a spec that names a different `base_url` without a key of its own gets no key, so a client
// cannot make the server send its key elsewhere. No API returns the key (views redact every api_key).
import { REDACTED } from '@agentworkspace/sdk';

export interface ServerLLMCredentials {
  model?: string | undefined;
  apiKey?: string | undefined;
  baseUrl?: string | undefined;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const missing = (v: unknown) => v === undefined || v === null || v === '' || v === REDACTED;

function applyToLLM(llm: Record<string, unknown>, creds: ServerLLMCredentials): Record<string, unknown> {
  const out = { ...llm };
  if (missing(out.model) && creds.model) out.model = creds.model;
  if (missing(out.api_key)) {
    const sameEndpoint = missing(out.base_url) || out.base_url === creds.baseUrl;
    if (sameEndpoint && creds.baseUrl) out.base_url = creds.baseUrl;
    if (sameEndpoint && creds.apiKey) out.api_key = creds.apiKey;
  }
  return out;
}

/**
 * The agent spec (as the client sent it, not yet validated) with the server's credentials filled in where
 * it has none: the model when `llm.model` is absent, the key and endpoint when `llm.api_key` is absent or
 * redacted. A summarizing condenser's LLM gets the same treatment. Anything that is not an object is
 * returned unchanged for validation to report.
 */
export function withServerCredentials(agent: unknown, creds: ServerLLMCredentials): unknown {
  if (!isRecord(agent) || (!creds.model && !creds.apiKey && !creds.baseUrl)) return agent;
  const out: Record<string, unknown> = { ...agent };
  if (out.llm === undefined && creds.model) out.llm = {};
  if (isRecord(out.llm)) out.llm = applyToLLM(out.llm, creds);
  if (isRecord(out.condenser) && isRecord(out.condenser.llm)) out.condenser = { ...out.condenser, llm: applyToLLM(out.condenser.llm, creds) };
  return out;
}
