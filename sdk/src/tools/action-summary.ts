// `ActionEvent.summary` as OpenHands 1.58.2 fills it: every tool's schema offers an optional `summary` argument;
// the agent takes it out of the arguments, and when the model gave none (or not a non-blank string) the summary
// is `<tool>: <the remaining arguments as Python's json.dumps writes them>`.

/** The `summary` property every tool schema gets (OpenHands' `_create_action_type_with_summary`). */
export const SUMMARY_PROPERTY = {
  type: 'string',
  description: 'A concise summary (approximately 10 words) describing what this specific action does. ' +
    'Focus on the key operation and target. Example: \'List all Python files in current directory\'',
} as const;

/** `json.dumps(value)` with Python's defaults: `", "` and `": "` separators, non-ASCII as `\uXXXX`. */
export function pythonJsonDumps(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return `[${value.map(pythonJsonDumps).join(', ')}]`;
  if (typeof value === 'object') {
    return `{${Object.entries(value as Record<string, unknown>).map(([k, v]) => `${pythonJsonDumps(k)}: ${pythonJsonDumps(v)}`).join(', ')}}`;
  }
  if (typeof value === 'string') return JSON.stringify(value).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return JSON.stringify(value);
}

/** Takes `summary` out of `args` (in place) and returns the event's summary. */
export function extractSummary(toolName: string, args: Record<string, unknown>): string {
  const summary = args.summary;
  delete args.summary;
  if (typeof summary === 'string' && summary.trim()) return summary;
  return `${toolName}: ${pythonJsonDumps(args)}`;
}
