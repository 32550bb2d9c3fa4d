// Bash events persisted one JSON file per event in bash_events_dir (OpenHands layout), with the
// protocol's search: filters on the file name, sort by name (= by timestamp), inclusive `page_id`
// cursor that is a file name, unknown cursor restarting from the beginning.
//
// One deliberate difference: `order__gt` filters before paging (OpenHands filters each page after
// slicing it). Pollers ask for `command_id__eq=…&order__gt=<last seen>&limit=100` without a cursor; filtered
// after paging, a command with more than `limit` chunks would return empty pages forever.
import { renameSync, writeFileSync } from 'node:fs';
import { mkdir, readFile, readdir, unlink } from 'node:fs/promises';
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
  /** BashOutput `order` by file name, so order filters need not read every file again. */
  private readonly orders = new Map<string, number>();

  constructor(readonly dir: string) {}

  private ensureDir(): Promise<void> {
    this.ready ??= mkdir(this.dir, { recursive: true }).then(() => undefined);
    return this.ready;
  }

  /**
   * Writes the event's file. Synchronously, as the SDK persists conversation events: a small file in the page
   * cache takes tens of microseconds, where the four thread-pool round trips of an asynchronous write and rename
   * took over a millisecond on a loaded machine, twice on every command's round trip.
   */
  async save(event: BashEvent): Promise<void> {
    await this.ensureDir();
    const name = eventFileName(event);
    const tmp = join(this.dir, `.${name}.tmp`);
    writeFileSync(tmp, JSON.stringify(event, null, 2));
    renameSync(tmp, join(this.dir, name));
    if (event.kind === 'BashOutput') this.orders.set(name, event.order);
  }

  private async orderOf(name: string): Promise<number | undefined> {
    if (!name.includes('_BashOutput_')) return undefined;
    let order = this.orders.get(name);
    if (order === undefined) {
      const event = await this.load(name);
      if (event?.kind === 'BashOutput') {
        order = event.order;
        this.orders.set(name, order);
      }
    }
    return order;
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

  /** Up to `limit` event file names after `cursor` (a file name, or '' for the start), in order. */
  async namesAfter(cursor: string, limit: number): Promise<string[]> {
    return (await this.names()).filter((name) => name > cursor).sort().slice(0, limit);
  }

  /** The event stored under file name `name`, or undefined when it is gone. */
  read(name: string): Promise<BashEvent | undefined> {
    return this.load(name);
  }

  /** The event whose id is `eventId` (hex), or undefined. */
  async get(eventId: string): Promise<BashEvent | undefined> {
    return (await this.getMany([eventId]))[0];
  }

  /** The events whose ids are `eventIds` (hex), in that order, undefined for unknown ids; one directory listing for all. */
  async getMany(eventIds: readonly string[]): Promise<(BashEvent | undefined)[]> {
    const names = await this.names();
    return Promise.all(eventIds.map((eventId) => {
      const name = names.find((n) => n.endsWith(`_${eventId}`));
      return name ? this.load(name) : undefined;
    }));
  }

  async search(q: BashSearch): Promise<BashPage> {
    let matched = (await this.names()).filter((name) => {
      if (q.stampGte !== undefined && name < q.stampGte) return false;
      if (q.stampLt !== undefined && name >= q.stampLt) return false;
      const parts = name.split('_');
      if (q.kind !== undefined && parts[1] !== q.kind) return false;
      if (q.commandId !== undefined && (parts.length < 4 || parts[2] !== q.commandId)) return false;
      return true;
    });
    if (q.orderGt !== undefined) {
      const orderGt = q.orderGt;
      const keep = await Promise.all(matched.map(async (name) => {
        const order = await this.orderOf(name);
        return order === undefined || order > orderGt;
      }));
      matched = matched.filter((_, i) => keep[i]);
    }
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
      if (event) items.push(event);
    }
    return { items, next_page_id: next };
  }

  /** Deletes the events recorded before `stamp` ("YYYYMMDDHHMMSSffffff"); returns how many. */
  async deleteBefore(stamp: string): Promise<number> {
    return this.delete((await this.names()).sort().filter((name) => name < stamp));
  }

  /** Deletes every stored event; returns how many. */
  async clear(): Promise<number> {
    return this.delete(await this.names());
  }

  /** Deletes the named event files; returns how many were still there. */
  private async delete(names: string[]): Promise<number> {
    let count = 0;
    for (const name of names) {
      try {
        await unlink(join(this.dir, name));
        this.orders.delete(name);
        count++;
      } catch {
        // already gone
      }
    }
    return count;
  }
}
