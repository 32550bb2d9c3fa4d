// A conversation's title from its first user message, as OpenHands 1.58.2 makes one (`title_utils`): the model
// is asked once, without tools, for a short title with one emoji from a fixed list; when it fails or answers
// nothing but reasoning, the message itself, cut to length, is the title.
import { contentText, text } from '../events/content.js';
import type { Event } from '../events/event.js';
import type { Message } from '../events/llm-message.js';
import type { CompletionResponse, LLM } from '../llm/types.js';

/** The system prompt of a title request (the scripted model tells title requests apart by it). */
export const TITLE_SYSTEM_PROMPT =
  'You are a helpful assistant that generates concise, descriptive titles for conversations with OpenHands. ' +
  'OpenHands is a helpful AI agent that can interact with a computer to solve tasks using bash terminal, ' +
  'file editor, and browser. Given a user message (which may be truncated), generate a concise, descriptive ' +
  'title for the conversation. Return only the title, with no additional text, quotes, or explanations.';

const CATEGORIES: readonly [emoji: string, name: string, description: string][] = [
  ['💄', 'frontend', 'UI and style files'],
  ['👔', 'backend', 'Business logic'],
  ['✅', 'test', 'Tests'],
  ['👷', 'devops', 'CI build system'],
  ['🚀', 'deployment', 'Deploy stuff'],
  ['📦️', 'dependencies', 'Packages and dependencies'],
  ['🗃️', 'database', 'Database changes'],
  ['🔧', 'chores', 'Configuration and maintenance'],
  ['✨', 'features', 'New features'],
  ['🐛', 'bugfix', 'Bug fixes'],
  ['⚡️', 'performance', 'Performance improvements'],
  ['🔒️', 'security', 'Security fixes'],
  ['📝', 'documentation', 'Documentation'],
  ['♻️', 'refactor', 'Code refactoring'],
];

/** Longer messages are cut to this many characters before they go to the model. */
const MAX_PROMPT_MESSAGE_CHARS = 1000;

export const DEFAULT_TITLE_MAX_LENGTH = 50;

/** The text of a user message event's content (its text parts, space-joined), or null when it has none. */
export function messageEventText(event: Event): string | null {
  if (event.kind !== 'MessageEvent') return null;
  const parts = event.llm_message.content.flatMap((c) => (c.type === 'text' ? [c.text] : []));
  return parts.join(' ').trim() || null;
}

/** The first user message with text among `events`, or null. */
export function firstUserMessageText(events: readonly Event[]): string | null {
  for (const e of events) {
    if (e.kind !== 'MessageEvent' || e.source !== 'user') continue;
    const t = messageEventText(e);
    if (t) return t;
  }
  return null;
}

function cut(title: string, maxLength: number): string {
  return title.length > maxLength ? `${title.slice(0, maxLength - 3)}...` : title;
}

/** The two messages of a title request for `message`. */
export function titleRequestMessages(message: string, maxLength = DEFAULT_TITLE_MAX_LENGTH): Message[] {
  const truncated = message.length > MAX_PROMPT_MESSAGE_CHARS ? `${message.slice(0, MAX_PROMPT_MESSAGE_CHARS)}...(truncated)` : message;
  const emojis = CATEGORIES.map(([emoji, name, description]) => `${emoji} ${name}: ${description}`).join('\n- ');
  const prompt = `Generate a title (maximum ${maxLength} characters) for a conversation that starts with this message:\n\n${truncated}.` +
    `Also make sure to include ONE most relevant emoji at the start of the title. Choose the emoji from this list:${emojis} `;
  return [
    { role: 'system', content: [text(TITLE_SYSTEM_PROMPT)], tool_calls: null, tool_call_id: null },
    { role: 'user', content: [text(prompt)], tool_calls: null, tool_call_id: null },
  ] as Message[];
}

/** Inline `<think>` reasoning removed (an unclosed block runs to the end). */
function stripReasoning(s: string): string {
  return s.replace(/<think>[\s\S]*?<\/think>/gi, '').replace(/<think>[\s\S]*/i, '');
}

export interface GenerateTitleOptions {
  maxLength?: number;
  /** Called with the LLM's error; the title then falls back to the message. */
  onError?: (err: unknown) => void;
  /** Called with the model's answer (its usage, for the stats). */
  onResponse?: (response: CompletionResponse) => void;
}

/**
 * A title for a conversation that starts with `message`: the model's answer (reasoning stripped, cut to
 * `maxLength` with "..."), or the message cut the same way when the model fails or answers nothing. Never throws.
 */
export async function generateTitle(message: string, llm: LLM | null, options: GenerateTitleOptions = {}): Promise<string> {
  const maxLength = options.maxLength ?? DEFAULT_TITLE_MAX_LENGTH;
  if (llm) {
    try {
      const response = await llm.complete({ messages: titleRequestMessages(message, maxLength), tools: [] });
      options.onResponse?.(response);
      const title = stripReasoning(contentText(response.message.content)).trim();
      if (title) return cut(title, maxLength);
    } catch (err) {
      options.onError?.(err);
    }
  }
  return cut(message.trim(), maxLength);
}
