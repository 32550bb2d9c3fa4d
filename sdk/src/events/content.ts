import { z } from 'zod';

/** OpenHands `TextContent`: strict, `type` is always "text". */
export const TextContentSchema = z.strictObject({
  type: z.literal('text').default('text'),
  text: z.string(),
  cache_prompt: z.boolean().default(false),
});
export type TextContent = z.infer<typeof TextContentSchema>;

export const ImageContentSchema = z.strictObject({
  type: z.literal('image').default('image'),
  image_urls: z.array(z.string()),
  cache_prompt: z.boolean().default(false),
});
export type ImageContent = z.infer<typeof ImageContentSchema>;

export const ContentSchema = z.union([TextContentSchema, ImageContentSchema]);
export type Content = z.infer<typeof ContentSchema>;

export function text(value: string): TextContent {
  return { type: 'text', text: value, cache_prompt: false };
}

/** The text of a content list, images dropped. */
export function contentText(content: readonly Content[]): string {
  return content.map((c) => (c.type === 'text' ? c.text : '')).join('');
}
