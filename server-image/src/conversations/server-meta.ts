// The server's own metadata of a conversation (title, tags, security analyzer, timestamps, where a fork came
// from, the client's tool_module_qualnames, autotitle), in server_meta.json in the conversation's directory beside the SDK's files (which only the SDK reads).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { z } from 'zod';
import type { ServerMeta } from './conversation-info.js';

const SERVER_META_FILE = 'server_meta.json';

/** As stored: every field optional (older files), timestamps filled from the SDK's when missing. */
const StoredServerMetaSchema = z.object({
  title: z.string().nullable().default(null),
  tags: z.record(z.string(), z.string()).default({}),
  security_analyzer: z.object({ kind: z.literal('LLMSecurityAnalyzer') }).nullable().default(null),
  created_at: z.string().optional(),
  updated_at: z.string().optional(),
  forked_from_conversation_id: z.string().nullish(),
  forked_from_event_id: z.string().nullish(),
  tool_module_qualnames: z.record(z.string(), z.string()).default({}),
  autotitle: z.boolean().default(true),
  title_llm_profile: z.string().nullable().default(null),
});

/** The metadata in `dir`; `core` gives the timestamps the SDK keeps, for what the file lacks or has older. */
export function readServerMeta(dir: string, core: { created_at: string; updated_at: string }): ServerMeta {
  const path = join(dir, SERVER_META_FILE);
  const stored = StoredServerMetaSchema.parse(existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : {});
  const created = stored.created_at ?? core.created_at;
  const updated = [stored.updated_at, core.updated_at, created].filter((v): v is string => !!v).sort().at(-1) as string;
  return { ...stored, created_at: created, updated_at: updated };
}

export function writeServerMeta(dir: string, meta: ServerMeta): void {
  writeFileAtomic.sync(join(dir, SERVER_META_FILE), JSON.stringify(meta, null, 2));
}
