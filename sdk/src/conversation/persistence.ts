import { AgentWorkspaceError } from '../errors.js';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EventSchema, type Event } from '../events/event.js';

/**
 * The OpenHands on-disk layout of one conversation:
 *   <persistence_dir>/<conversation-hex>/meta.json, base_state.json, events/event-00000-<event-id>.json
 * Every file is written to a temporary name and renamed, so a crash leaves the old or the new file, never half.
 */
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

const EVENT_FILE = /^event-(\d{5,})-(.+)\.json$/;

export class PersistenceError extends AgentWorkspaceError {
  override readonly name = 'PersistenceError';
}

/** Loads every event file in index order. A file that does not parse is an error naming it (nothing is dropped silently). */
export function loadEvents(dir: string): Event[] {
  const eventsDir = join(dir, 'events');
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
  mkdirSync(join(dir, 'events'), { recursive: true });
}
