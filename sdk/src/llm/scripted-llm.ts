import { contentText } from '../events/content.js';
import type { LLMConfig } from './config.js';
import { LLMError } from './errors.js';
import { completeWithRetries, sleep } from './retry.js';
import type { CompletionRequest, CompletionResponse, LLM } from './types.js';
import { ScriptPlayer, ScriptViolation } from '../testing/script-player.js';
import { loadScript, type Script, type ScriptInput } from '../testing/script.js';

/**
 * The in-process scripted model (`model: "scripted/<name>"`). Its script comes from `base_url` (a file path or
 * `file://` URL, so a ConfigMap can supply it) unless given directly. Scripted errors go through the same retry
 * policy as real adapters.
 */
export class ScriptedLLM implements LLM {
  readonly config: LLMConfig;
  readonly player: ScriptPlayer;

  constructor(config: LLMConfig, script?: Script | ScriptInput) {
    this.config = config;
    if (script) this.player = new ScriptPlayer(script);
    else {
      if (!config.base_url) throw new LLMError('LLMConfigError', `llm.base_url must name the script file for the scripted model "${config.model}"`);
      const path = config.base_url.startsWith('file://') ? new URL(config.base_url).pathname : config.base_url;
      try {
        this.player = new ScriptPlayer(loadScript(path));
      } catch (err) {
        throw new LLMError('LLMConfigError', `scripted model: ${(err as Error).message}`, { cause: err });
      }
    }
  }

  complete(req: CompletionRequest): Promise<CompletionResponse> {
    return completeWithRetries(this.config, req, (r) => this.once(r));
  }

  private async once(req: CompletionRequest): Promise<CompletionResponse> {
    const started = performance.now();
    let r;
    try {
      r = this.player.next(req.messages);
    } catch (err) {
      if (err instanceof ScriptViolation) throw new LLMError('LLMBadRequestError', `scripted model: ${err.message}`, { cause: err });
      throw err;
    }
    if (r.kind === 'error') throw LLMError.fromStatus(r.status, r.message, r.retryAfter !== undefined ? { retryAfter: r.retryAfter } : {});
    if (r.delayMs) await sleep(r.delayMs, req.signal);
    if (req.signal?.aborted) throw new LLMError('LLMAbortedError', 'LLM call aborted');
    const body = contentText(r.message.content);
    if (body && req.onDelta) for (const piece of body.match(/.{1,16}/gs) ?? []) req.onDelta({ content: piece });
    return {
      id: r.id,
      message: r.message,
      usage: { ...r.usage, cache_read_tokens: 0, cache_write_tokens: 0, reasoning_tokens: 0 },
      latency_ms: performance.now() - started,
    };
  }
}
