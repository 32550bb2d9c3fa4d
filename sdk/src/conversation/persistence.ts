import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AgentWorkspaceError } from '../errors.js';
import { EventSchema, type Event } from '../events/event.js';
import { PersistedStateSchema, type PersistedState } from './state.js';

/**
 * The OpenHands on-disk layout of one conversation, private to the SDK (hosts use `LocalConversation` and its
 * static `list` / `remove`):
 *   <persistence_dir>/<conversation-hex>/meta.json, base_state.json, events/event-00000-<event-id>.json
 * Every file is written to a temporary name and renamed, so a crash leaves the old or the new file, never half.
 * Other files in the directory are a host's own (the agent server keeps its metadata there).
 */
const STATE_FILE = 'base_state.json';
const META_FILE = 'meta.json';
const EVENTS_DIR = 'events';
const EVENT_FILE = /^event-(\d{5,})-(.+)\.json$/;

export class PersistenceError extends AgentWorkspaceError {
  override readonly name = 'PersistenceError';
}

export function conversationDir(persistenceDir: string, conversationId: string): string {
  return join(persistenceDir, conversationId.replaceAll('-', ''));
}

export function writeJsonAtomic(path: string, value: unknown): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(value, null, 2));
  renameSync(tmp, path);
}

export function readJson(path: string): unknown {
  return JSON.parse(readFileSync(path, 'utf8'));
}

export function eventFileName(index: number, eventId: string): string {
  return `event-${String(index).padStart(5, '0')}-${eventId}.json`;
}

/** Writes the event file of the event at `index`. */
export function writeEvent(dir: string, index: number, event: Event): void {
  writeJsonAtomic(join(dir, EVENTS_DIR, eventFileName(index, event.id)), event);
}

/** Loads every event file in index order. A file that does not parse is an error naming it (nothing is dropped silently). */
export function loadEvents(dir: string): Event[] {
  const eventsDir = join(dir, EVENTS_DIR);
  let names: string[];
  try {
    names = readdirSync(eventsDir);
  } catch {
    return [];
  }
  const files = names
    .map((n) => ({ n, m: EVENT_FILE.exec(n) }))
    .filter((x): x is { n: string; m: RegExpExecArray } => x.m !== null)
    .sort((a, b) => Number(a.m[1]) - Number(b.m[1]));
  for (const n of names) if (n.endsWith('.tmp')) rmSync(join(eventsDir, n), { force: true });
  return files.map(({ n }) => {
    const r = EventSchema.safeParse(readJson(join(eventsDir, n)));
    if (!r.success) throw new PersistenceError(`event file ${join(eventsDir, n)} is invalid: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    return r.data;
  });
}

export function ensureDir(dir: string): void {
  mkdirSync(join(dir, EVENTS_DIR), { recursive: true });
}

/** Whether `dir` holds a conversation (its state file). */
export function isStored(dir: string): boolean {
  return existsSync(join(dir, STATE_FILE));
}

/** The `meta.json` fields this SDK reads back. */
export interface StoredMeta {
  created_at?: string | undefined;
  updated_at?: string | undefined;
}

export function readState(dir: string): PersistedState {
  const path = join(dir, STATE_FILE);
  const r = PersistedStateSchema.safeParse(readJson(path));
  if (!r.success) throw new PersistenceError(`${path} is invalid: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return r.data;
}

export function readMeta(dir: string): StoredMeta {
  const path = join(dir, META_FILE);
  if (!existsSync(path)) return {};
  const meta = readJson(path) as Record<string, unknown> | null;
  const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
  return { created_at: text(meta?.created_at), updated_at: text(meta?.updated_at) };
}

/** Writes `base_state.json` (OpenHands `ConversationState`) and `meta.json` (OpenHands' conversation metadata). */
export function writeState(dir: string, state: Record<string, unknown>, meta: Record<string, unknown>): void {
  writeJsonAtomic(join(dir, STATE_FILE), state);
  writeJsonAtomic(join(dir, META_FILE), meta);
}

/** Removes a conversation's directory, the host's files in it included. */
export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
