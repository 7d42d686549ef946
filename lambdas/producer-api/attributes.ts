import type { MessageAttributeValue } from "@aws-sdk/client-sns";
import { IDEMPOTENCY_ATTRIBUTE } from "../shared/idempotency-key";

/** Reserved top-level body field holding the SNS message attributes; never published. */
export const ATTRIBUTES_FIELD = "_attributes";
/** Request header carrying the optional idempotency key. */
export const IDEMPOTENCY_HEADER = "Idempotency-Key";
/** SNS accepts at most 10 message attributes per message (the idempotency key included). */
export const MAX_ATTRIBUTES = 10;
/** Longest attribute name SNS accepts. */
export const MAX_ATTRIBUTE_NAME_LENGTH = 256;
/** Longest idempotency key this API accepts. */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 256;

export type SnsAttributes = Record<string, MessageAttributeValue>;

export type AttributesResult =
  | { readonly ok: true; readonly attributes: SnsAttributes }
  | { readonly ok: false; readonly message: string };

// Characters SQS accepts in message content (SNS delivers attributes to the queues as is):
// #x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF. Lone surrogates fail too.
const NOT_SQS_SAFE = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
const NAME_CHARS = /^[A-Za-z0-9_.-]+$/;
const RESERVED_NAME_PREFIX = /^(aws|amazon)\./i;
const IDEMPOTENCY_KEY = /^[\x21-\x7E]+$/;

/** `true` when SQS (and so every queue behind the topic) accepts every character of `text`. */
export function isSqsSafeText(text: string): boolean {
  return !NOT_SQS_SAFE.test(text);
}

/** A JSON-escaped form of `json` with the two noncharacters SQS refuses; same parsed value. */
export function escapeNoncharacters(json: string): string {
  return json.replace(/[\uFFFE\uFFFF]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`);
}

/** Quotes a caller-supplied name for an error message, cut to a readable length. */
function quote(name: string): string {
  return JSON.stringify(name.length > 64 ? `${name.slice(0, 64)}...` : name);
}

/** Why `name` is not a valid SNS message attribute name, or `undefined` when it is. */
export function attributeNameProblem(name: string): string | undefined {
  if (name.length === 0) return "attribute names must not be empty";
  if (name.length > MAX_ATTRIBUTE_NAME_LENGTH) {
    return `attribute name ${quote(name)} is longer than ${MAX_ATTRIBUTE_NAME_LENGTH} characters`;
  }
  if (!NAME_CHARS.test(name)) {
    return `attribute name ${quote(name)} may contain only A-Z, a-z, 0-9, "_", "-" and "."`;
  }
  if (name.startsWith(".") || name.endsWith(".") || name.includes("..")) {
    return `attribute name ${quote(name)} must not start or end with "." or contain ".."`;
  }
  if (RESERVED_NAME_PREFIX.test(name)) {
    return `attribute name ${quote(name)} uses a prefix reserved by AWS ("AWS." or "Amazon.")`;
  }
  if (name === IDEMPOTENCY_ATTRIBUTE) {
    return `attribute name ${quote(name)} is reserved: send the key in the ${IDEMPOTENCY_HEADER} header`;
  }
  return undefined;
}

/** Why `key` is not a valid idempotency key, or `undefined` when it is. */
export function idempotencyKeyProblem(key: string): string | undefined {
  if (key.length === 0) return `${IDEMPOTENCY_HEADER} must not be empty`;
  if (key.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
    return `${IDEMPOTENCY_HEADER} is longer than ${MAX_IDEMPOTENCY_KEY_LENGTH} characters`;
  }
  if (!IDEMPOTENCY_KEY.test(key)) {
    return `${IDEMPOTENCY_HEADER} may contain only visible ASCII characters (no spaces)`;
  }
  return undefined;
}

type ValueResult =
  | { readonly ok: true; readonly value: MessageAttributeValue }
  | { readonly ok: false; readonly message: string };

function toAttributeValue(name: string, value: unknown): ValueResult {
  const what = `attribute ${quote(name)}`;
  if (typeof value === "string") {
    if (value.length === 0) return { ok: false, message: `${what} must not be an empty string` };
    if (!isSqsSafeText(value)) {
      return { ok: false, message: `${what} contains characters SNS/SQS do not accept` };
    }
    return { ok: true, value: { DataType: "String", StringValue: value } };
  }
  if (typeof value === "number") {
    const text = String(value);
    // JSON can spell 1e999 (Infinity); exponent notation is left out, see the top of index.ts.
    if (!Number.isFinite(value) || /e/i.test(text)) {
      return {
        ok: false,
        message: `${what} must be a finite number written without an exponent (|n| < 1e21)`,
      };
    }
    return { ok: true, value: { DataType: "Number", StringValue: text } };
  }
  if (Array.isArray(value)) {
    const fine = value.every(
      (v) =>
        v === null ||
        typeof v === "boolean" ||
        typeof v === "string" ||
        (typeof v === "number" && Number.isFinite(v)),
    );
    if (!fine) {
      return {
        ok: false,
        message: `${what} is an array: its items must be strings, finite numbers, booleans or null`,
      };
    }
    return {
      ok: true,
      value: { DataType: "String.Array", StringValue: escapeNoncharacters(JSON.stringify(value)) },
    };
  }
  return {
    ok: false,
    message: `${what} must be a string, a number or an array (got ${value === null ? "null" : typeof value})`,
  };
}

/**
 * Turns the reserved body field (`raw`, `undefined` when absent) and the idempotency key into
 * SNS message attributes, or says what is wrong. Pure.
 */
export function parseAttributes(
  raw: unknown,
  idempotencyKey: string | undefined,
): AttributesResult {
  // Entries, not assignments: a JSON name such as "__proto__" must stay a plain own property.
  const entries: [string, MessageAttributeValue][] = [];
  if (raw !== undefined) {
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
      return {
        ok: false,
        message: `"${ATTRIBUTES_FIELD}" must be an object of attribute name to value`,
      };
    }
    const given = Object.entries(raw);
    const count = given.length + (idempotencyKey === undefined ? 0 : 1);
    if (count > MAX_ATTRIBUTES) {
      return {
        ok: false,
        message:
          `too many message attributes: ${count}, at most ${MAX_ATTRIBUTES} ` +
          `(the ${IDEMPOTENCY_HEADER} header counts as one)`,
      };
    }
    for (const [name, value] of given) {
      const nameProblem = attributeNameProblem(name);
      if (nameProblem !== undefined) return { ok: false, message: nameProblem };
      const converted = toAttributeValue(name, value);
      if (!converted.ok) return converted;
      entries.push([name, converted.value]);
    }
  }
  if (idempotencyKey !== undefined) {
    entries.push([IDEMPOTENCY_ATTRIBUTE, { DataType: "String", StringValue: idempotencyKey }]);
  }
  return { ok: true, attributes: Object.fromEntries(entries) };
}

/**
 * Bytes SNS counts for the attributes: for each one, the UTF-8 bytes of its name, its data type
 * and its value.
 */
export function attributesSize(attributes: SnsAttributes): number {
  let bytes = 0;
  for (const [name, value] of Object.entries(attributes)) {
    bytes += Buffer.byteLength(name, "utf8");
    bytes += Buffer.byteLength(value.DataType ?? "", "utf8");
    bytes += Buffer.byteLength(value.StringValue ?? "", "utf8");
  }
  return bytes;
}
