// The nesting bound on JSON a client sends (request bodies and socket frames). Deeper values are refused at
// the boundary with a 422 naming where: past a few thousand levels, JSON.stringify and every recursive walk
// of the value overflow the stack, long after parsing succeeded.

export const MAX_JSON_DEPTH = 100;

interface Pending {
  value: unknown;
  depth: number;
  parent: Pending | null;
  key: string | number;
}

/** The location of the first value nested more than `max` levels deep, or undefined. Iterative: any depth is safe. */
export function tooDeep(value: unknown, max = MAX_JSON_DEPTH): (string | number)[] | undefined {
  const stack: Pending[] = [{ value, depth: 0, parent: null, key: '' }];
  for (let item = stack.pop(); item; item = stack.pop()) {
    const v = item.value;
    if (v === null || typeof v !== 'object') continue;
    if (item.depth >= max) {
      const path: (string | number)[] = [];
      for (let at: Pending | null = item; at?.parent; at = at.parent) path.unshift(at.key);
      return path;
    }
    const entries: [string | number, unknown][] = Array.isArray(v) ? v.map((x, i) => [i, x]) : Object.entries(v);
    for (const [key, x] of entries) if (x !== null && typeof x === 'object') stack.push({ value: x, depth: item.depth + 1, parent: item, key });
  }
  return undefined;
}

/** The message of a too-deep value. */
export const tooDeepMessage = `Input is nested more than ${MAX_JSON_DEPTH} levels deep`;
