import { z } from 'zod';
import { REDACTED } from '../llm/config.js';

export const SECRET_MASK = '<secret-hidden>';

/** OpenHands secret sources; only static values are resolved by this core. */
export const SecretSourceSchema = z.union([
  z.string().transform((value) => ({ kind: 'StaticSecret' as const, value, description: null })),
  z.object({ kind: z.literal('StaticSecret'), value: z.string(), description: z.string().nullish() }),
]);
export type SecretSource = z.infer<typeof SecretSourceSchema>;
export const SecretsSchema = z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'secret names must be valid environment variable names'), SecretSourceSchema);

/**
 * The conversation's secrets: given to the terminal as environment variables, and masked wherever text leaves the
 * core (events, observations, logs). Other values (API keys) can be registered for masking only.
 */
export class SecretRegistry {
  private readonly secrets = new Map<string, string>();
  private readonly maskOnly = new Set<string>();
  /** Every value to mask, longest first (so a secret containing another is masked whole); recomputed whenever a value is added. */
  private masked: string[] = [];

  constructor(secrets: Record<string, SecretSource> = {}) {
    for (const [name, s] of Object.entries(secrets)) if (s.value && s.value !== REDACTED) this.secrets.set(name, s.value);
    this.refresh();
  }

  /** Values masked without being exposed to tools (e.g. LLM API keys). Short values are ignored: masking "a" would wreck text. */
  addMaskOnly(value: string | null | undefined): void {
    if (value && value.length >= 4 && value !== REDACTED) {
      this.maskOnly.add(value);
      this.refresh();
    }
  }

  /** A registry with the same secrets and mask-only values (a fork's). */
  copy(): SecretRegistry {
    const next = new SecretRegistry();
    for (const [name, value] of this.secrets) next.secrets.set(name, value);
    for (const value of this.maskOnly) next.maskOnly.add(value);
    next.refresh();
    return next;
  }

  env(): Record<string, string> {
    return Object.fromEntries(this.secrets);
  }

  private refresh(): void {
    this.masked = [...new Set([...this.secrets.values(), ...this.maskOnly])].filter((v) => v.length >= 3).sort((a, b) => b.length - a.length);
  }

  mask(s: string): string {
    let out = s;
    for (const v of this.masked) if (out.includes(v)) out = out.split(v).join(SECRET_MASK);
    return out;
  }

  /** A copy of `value` with every string leaf masked. */
  maskDeep<T>(value: T): T {
    if (this.masked.length === 0) return value;
    const walk = (v: unknown): unknown => {
      if (typeof v === 'string') return this.mask(v);
      if (Array.isArray(v)) return v.map(walk);
      if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
      return v;
    };
    return walk(value) as T;
  }

  /** As OpenHands dumps `secret_registry`: values redacted. */
  dump(): Record<string, unknown> {
    return { secret_sources: Object.fromEntries([...this.secrets.keys()].map((k) => [k, { kind: 'StaticSecret', value: REDACTED }])) };
  }
}
