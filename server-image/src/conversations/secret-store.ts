// What a conversation needs to continue after a restart but must never be stored in the clear: the API keys
// the client sent in its agent spec, and the conversation's secrets. They are kept in
// `<conversation dir>/server_secrets.json`, encrypted with AES-256-GCM under a key derived (HKDF-SHA256) from
// OH_SECRET_KEY, or else the first session key, as OpenHands does. With neither configured nothing is stored
// and such conversations need their keys and secrets again after a restart (the server's own LLM_API_KEY
// still applies). A file that does not decrypt (the key changed) is ignored with a warning.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { z } from 'zod';

export const SECRETS_FILE = 'server_secrets.json';

const StoredSecretsSchema = z.object({
  llm_api_key: z.string().optional(),
  condenser_api_key: z.string().optional(),
  secrets: z.record(z.string(), z.string()).default({}),
});
export type StoredSecrets = z.infer<typeof StoredSecretsSchema>;

const EnvelopeSchema = z.object({ v: z.literal(1), iv: z.string(), tag: z.string(), data: z.string() });

export class SecretStore {
  private readonly key: Buffer | null;

  constructor(secretKey: string | undefined) {
    this.key = secretKey
      ? Buffer.from(hkdfSync('sha256', secretKey, 'agent-server', 'conversation secrets v1', 32))
      : null;
  }

  get enabled(): boolean {
    return this.key !== null;
  }

  /** Stores `value` for the conversation in `dir` (removes the file when there is nothing to keep). */
  save(dir: string, value: StoredSecrets): void {
    const path = join(dir, SECRETS_FILE);
    const empty = !value.llm_api_key && !value.condenser_api_key && Object.keys(value.secrets).length === 0;
    if (!this.key || empty) {
      rmSync(path, { force: true });
      return;
    }
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const data = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
    const envelope = { v: 1, iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), data: data.toString('base64') };
    writeFileAtomic.sync(path, JSON.stringify(envelope));
  }

  /** What was stored for the conversation in `dir`; undefined when nothing (readable) is there. Throws only on I/O errors. */
  load(dir: string): StoredSecrets | undefined {
    const path = join(dir, SECRETS_FILE);
    if (!this.key || !existsSync(path)) return undefined;
    try {
      const env = EnvelopeSchema.parse(JSON.parse(readFileSync(path, 'utf8')));
      const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(env.iv, 'base64'));
      decipher.setAuthTag(Buffer.from(env.tag, 'base64'));
      const plain = Buffer.concat([decipher.update(Buffer.from(env.data, 'base64')), decipher.final()]).toString('utf8');
      return StoredSecretsSchema.parse(JSON.parse(plain));
    } catch {
      return undefined;
    }
  }
}
