/**
 * Readings of policy statements that rules of several services share: who a principal is, and
 * which conditions narrow who may act.
 */
import { Condition, Statement } from "../../inspect/statements";
import { interpolations, literalPart } from "../../inspect/terraform-json";

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

/**
 * The condition keys that narrow WHO may act, and why each does. A condition on any other key
 * (aws:SecureTransport, aws:SourceIp, aws:CurrentTime, kms:ViaService...) narrows how, from
 * where or when, but still lets every principal in: it does not make a grant safe.
 */
export const NARROWING_CONDITION_KEYS: Readonly<Record<string, string>> = {
  "aws:SourceArn": "the resource a service acts for (a topic, an alarm, an API)",
  "aws:SourceAccount": "the account a service acts for",
  "aws:SourceOwner": "the account a service acts for (older services' form of aws:SourceAccount)",
  "aws:SourceOrgID": "the organization of the resource a service acts for",
  "aws:SourceOrgPaths": "the organizational unit of the resource a service acts for",
  "aws:PrincipalArn": "the calling role or user",
  "aws:PrincipalAccount": "the calling principal's account",
  "aws:PrincipalOrgID": "the calling principal's organization",
  "aws:PrincipalOrgPaths": "the calling principal's organizational unit",
  "aws:SourceVpce": "the VPC endpoint the request came through (only that network's callers)",
  "aws:SourceVpc": "the VPC the request came through (only that network's callers)",
};

/** Keys whose values are ARNs: a wildcard there must only end a path after a separator. */
export const ARN_CONDITION_KEYS: ReadonlySet<string> = new Set([
  "aws:SourceArn",
  "aws:PrincipalArn",
]);

/** Operators that admit the listed values (not `...Not...`, which admit everyone else). */
const ADMITTING_TEST = /^(StringEquals|StringEqualsIgnoreCase|StringLike|ArnEquals|ArnLike)$/;

/** A narrowing key as written, or `undefined` (condition keys are case-insensitive). */
export function narrowingKey(variable: string): string | undefined {
  return Object.keys(NARROWING_CONDITION_KEYS).find(
    (k) => k.toLowerCase() === variable.toLowerCase(),
  );
}

/**
 * Whether an ARN pattern's wildcards stay inside one resource: none in the partition, service,
 * region or account, and each one right after a `/` or `:` (so `alarm:fanout-primary-*`, which
 * also matches `fanout-primary-eu-...`, does not narrow, while `alarm:fanout-primary/*` does).
 */
export function arnPatternNarrows(value: string): boolean {
  let text = value;
  for (const inner of interpolations(value)) text = text.replace(`\${${inner}}`, "X");
  if (!/[*?]/.test(text)) return true;
  if (/^arn:/.test(text) && /[*?]/.test(text.split(":").slice(0, 5).join(":"))) return false;
  return [...text.matchAll(/[*?]+/g)].every((m) => m.index > 0 && "/:".includes(text[m.index - 1]));
}

/**
 * Whether a condition narrows who may act: a key of {@link NARROWING_CONDITION_KEYS}, an
 * admitting operator (no `Not`, no `IfExists`, which passes when the key is absent), at least
 * one value, and no value that is a bare wildcard or, for ARN keys, a wildcard that reaches past
 * one resource (see {@link arnPatternNarrows}); account and organization values admit no
 * wildcard at all.
 */
export function narrows(c: Condition): boolean {
  const key = narrowingKey(c.variable);
  if (key === undefined || !ADMITTING_TEST.test(c.test) || c.values.length === 0) return false;
  return c.values.every((v) =>
    ARN_CONDITION_KEYS.has(key) ? arnPatternNarrows(v) : !hasWildcard(v) && v !== "",
  );
}

/** The conditions of a statement that narrow who may act. */
export const narrowingConditions = (s: Statement): Condition[] => s.conditions.filter(narrows);

/**
 * The account of an AWS principal or account value as written: a 12-digit id, the account
 * field of an IAM or STS ARN, or the value itself when it is one reference (`${...owner}`);
 * `undefined` when it cannot be read.
 */
export function accountOf(identifier: string): string | undefined {
  if (/^\d{12}$/.test(identifier) || /^\$\{[^{}]+\}$/.test(identifier)) return identifier;
  const fields = splitOutsideInterpolations(identifier, ":");
  if (fields.length < 6 || fields[0] !== "arn" || !/^(iam|sts)$/.test(fields[2])) return undefined;
  return fields[4];
}

/** `text` split at `separator`, except inside `${...}` interpolations. */
function splitOutsideInterpolations(text: string, separator: string): string[] {
  const fields: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text.startsWith("${", i)) {
      depth++;
      i++;
    } else if (text[i] === "{" && depth > 0) depth++;
    else if (text[i] === "}" && depth > 0) depth--;
    else if (text[i] === separator && depth === 0) {
      fields.push(text.slice(start, i));
      start = i + 1;
    }
  }
  return [...fields, text.slice(start)];
}
