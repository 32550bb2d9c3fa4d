import { z } from 'zod';
import type { SecurityRisk } from '../events/base.js';
import { SecurityRiskSchema } from '../events/base.js';

/** OpenHands confirmation policies, discriminated on `kind`. */
export const ConfirmationPolicySchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('NeverConfirm') }),
  z.strictObject({ kind: z.literal('AlwaysConfirm') }),
  z.strictObject({
    kind: z.literal('ConfirmRisky'),
    threshold: SecurityRiskSchema.exclude(['UNKNOWN']).default('HIGH'),
    confirm_unknown: z.boolean().default(true),
  }),
]);
export type ConfirmationPolicy = z.infer<typeof ConfirmationPolicySchema>;
export type ConfirmationPolicyInput = z.input<typeof ConfirmationPolicySchema>;

const RANK: Record<SecurityRisk, number> = { UNKNOWN: 0, LOW: 1, MEDIUM: 2, HIGH: 3 };

/** Whether an action of this risk must wait for the user's confirmation. */
export function shouldConfirm(policy: ConfirmationPolicy, risk: SecurityRisk): boolean {
  switch (policy.kind) {
    case 'NeverConfirm':
      return false;
    case 'AlwaysConfirm':
      return true;
    case 'ConfirmRisky':
      return risk === 'UNKNOWN' ? policy.confirm_unknown : RANK[risk] >= RANK[policy.threshold];
  }
}
