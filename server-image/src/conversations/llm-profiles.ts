// OpenHands' LLM profile store as the autotitle reads it (`title_llm_profile`): `<dir>/profiles/<name>.json`, one LLM
// configuration each, `<dir>` being OH_PERSISTENCE_DIR or ~/.openhands. A name that is not a profile name, a file
// that is missing or does not parse is an error the caller turns into "use the agent's model", as OpenHands does.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LLMConfigSchema, type LLMConfig } from '@agentworkspace/sdk';

/** OpenHands' PROFILE_NAME_PATTERN; `foo.json` names profile `foo`. */
const PROFILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export class LLMProfileError extends Error {
  override name = 'LLMProfileError';
}

export class LLMProfileStore {
  constructor(private readonly dir: string) {}

  /** The profile's LLM configuration. Throws `LLMProfileError` saying why it cannot be had. */
  load(name: string): LLMConfig {
    const clean = name.replace(/\.json$/, '');
    if (!PROFILE_NAME.test(clean)) throw new LLMProfileError(`Invalid profile name: ${JSON.stringify(name)}`);
    let data: unknown;
    try {
      data = JSON.parse(readFileSync(join(this.dir, `${clean}.json`), 'utf8'));
    } catch (err) {
      throw new LLMProfileError(`Profile \`${clean}\` could not be read: ${(err as Error).message}`, { cause: err });
    }
    const parsed = LLMConfigSchema.safeParse(data);
    if (!parsed.success) throw new LLMProfileError(`Failed to load profile \`${clean}\`: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    return parsed.data;
  }
}
