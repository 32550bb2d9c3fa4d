// Bash events persisted one JSON file per event in bash_events_dir (OpenHands layout), with the
// protocol's search: filters on the file name, sort by name (= by timestamp), inclusive `page_id`
// cursor that is a file name, unknown cursor restarting from the beginning.
import { mkdir, readFile, readdir, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type BashEvent, StoredBashEventSchema, eventFileName } from './events.js';

export interface BashSearch {
  kind?: 'BashCommand' | 'BashOutput';
  commandId?: string;
  /** File-name stamps ("YYYYMMDDHHMMSSffffff") bounding the time window. */
  stampGte?: string;
  stampLt?: string;
  orderGt?: number;
  descending?: boolean;
  pageId?: string;
  limit: number;
}

export interface BashPage {
  items: BashEvent[];
  next_page_id: string | null;
}

// In-progress writes are dot-files, renamed into place, so readers never see half an event.
const isEventFile = (name: string) => !name.startsWith('.');

export class BashEventStore {
  private ready: Promise<void> | undefined;

  constructor(readonly dir: string) {}

  private ensureDir(): Promise<void> {
    this.ready ??= mkdir(this.dir, { recursive: true }).then(() => undefined);
    return this.ready;
  }

  async save(event: BashEvent): Promise<void> {
    await this.ensureDir();
    const name = eventFileName(event);
    const tmp = join(this.dir, `.${name}.tmp`);
    await writeFile(tmp, JSON.stringify(event, null, 2));
    await rename(tmp, join(this.dir, name));
  }

  private async names(): Promise<string[]> {
    await this.ensureDir();
    return (await readdir(this.dir)).filter(isEventFile);
  }

  private async load(name: string): Promise<BashEvent | undefined> {
    try {
      const parsed = StoredBashEventSchema.safeParse(JSON.parse(await readFile(join(this.dir, name), 'utf8')));
      return parsed.success ? parsed.data : undefined;
    } catch {
      return undefined; // removed by a concurrent clear, or not ours
    }
  }

  /** The event whose id is `eventId` (hex), or undefined. */
  async get(eventId: string): Promise<BashEvent | undefined> {
    const suffix = `_${eventId}`;
    const name = (await this.names()).find((n) => n.endsWith(suffix));
    return name ? this.load(name) : undefined;
  }

  async search(q: BashSearch): Promise<BashPage> {
    const matched = (await this.names()).filter((name) => {
      if (q.stampGte !== undefined && name < q.stampGte) return false;
      if (q.stampLt !== undefined && name >= q.stampLt) return false;
      const parts = name.split('_');
      if (q.kind !== undefined && parts[1] !== q.kind) return false;
      if (q.commandId !== undefined && (parts.length < 4 || parts[2] !== q.commandId)) return false;
      return true;
    });
    matched.sort();
    if (q.descending) matched.reverse();
    let start = 0;
    if (q.pageId) {
      const at = matched.indexOf(q.pageId);
      if (at >= 0) start = at;
    }
    const slice = matched.slice(start, start + q.limit);
    const next = start + q.limit < matched.length ? (matched[start + q.limit] as string) : null;
    const items: BashEvent[] = [];
    for (const name of slice) {
      const event = await this.load(name);
      if (!event) continue;
      // As in OpenHands, order__gt is applied after paging: a page may come back short.
      if (q.orderGt !== undefined && event.kind === 'BashOutput' && event.order <= q.orderGt) continue;
      items.push(event);
    }
    return { items, next_page_id: next };
  }

  /** Deletes every stored event; returns how many. */
  async clear(): Promise<number> {
    let count = 0;
    for (const name of await this.names()) {
      try {
        await unlink(join(this.dir, name));
        count++;
      } catch {
        // already gone
      }
    }
    return count;
  }
}
