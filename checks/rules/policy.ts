/**
 * Readings of policy statements that rules of several services share.
 */
import { Statement } from "../../inspect/statements";
import { literalPart } from "../../inspect/terraform-json";

/** A principal that is everyone: `*`, or `AWS: *`. */
export const isEveryone = (p: { type: string; identifiers: readonly string[] }) =>
  p.type === "*" || (p.type === "AWS" && p.identifiers.includes("*"));

/** A Deny of every principal when `aws:SecureTransport` is false, covering `action`. */
export function isTlsOnlyDeny(s: Statement, service: string, action: string): boolean {
  return (
    s.effect === "Deny" &&
    s.principals.some(isEveryone) &&
    s.actions.some((a) => a === "*" || a === `${service}:*` || a === action) &&
    s.conditions.some(
      (c) =>
        c.test === "Bool" && c.variable === "aws:SecureTransport" && c.values.includes("false"),
    )
  );
}

/** Whether the literal part of a string (outside interpolations) holds a wildcard. */
export const hasWildcard = (text: string) => /[*?]/.test(literalPart(text));
