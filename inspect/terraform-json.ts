/**
 * The shape of synthesized Terraform JSON (`cdk.tf.json`) and the reading of its strings:
 * interpolations, the references they make, and list-or-single attributes. Nothing here knows
 * this project's resource ids.
 */

export type Json = Record<string, unknown>;

/** The parts of a `cdk.tf.json` the checks read. */
export interface TerraformJson {
  readonly terraform?: Json;
  readonly provider?: Readonly<Record<string, readonly Json[] | Json>>;
  readonly resource?: Readonly<Record<string, Readonly<Record<string, Json>>>>;
  readonly data?: Readonly<Record<string, Readonly<Record<string, Json>>>>;
  readonly output?: Readonly<Record<string, unknown>>;
  readonly [key: string]: unknown;
}

/** One synthesized stack: its name (the cdktf stack id) and its Terraform JSON. */
export interface StackJson {
  readonly name: string;
  readonly json: TerraformJson;
}

/** A resource or data source. */
export interface Block {
  readonly mode: "managed" | "data";
  readonly type: string;
  readonly id: string;
  /** `type.id` for resources, `data.type.id` for data sources. */
  readonly address: string;
  readonly body: Json;
}

/** A reference to an attribute of a block, e.g. `aws_sqs_queue.q.arn`. */
export interface Reference {
  /** `type.id` or `data.type.id`. */
  readonly address: string;
  /** The attribute (`arn`, `url`, `json`...), when there is one. */
  readonly attribute?: string;
}

/** The interpolations `${...}` of a string, with nested braces balanced. */
export function interpolations(text: string): string[] {
  const found: string[] = [];
  let i = text.indexOf("${");
  while (i >= 0) {
    let depth = 1;
    let j = i + 2;
    while (j < text.length && depth > 0) {
      if (text[j] === "{") depth++;
      else if (text[j] === "}") depth--;
      j++;
    }
    found.push(text.slice(i + 2, j - 1));
    i = text.indexOf("${", j);
  }
  return found;
}

/** `text` with every interpolation removed: the literal part of a string. */
export function literalPart(text: string): string {
  let out = text;
  for (const inner of interpolations(text)) out = out.replace(`\${${inner}}`, "");
  return out;
}

const REFERENCE =
  /(?:^|[^A-Za-z0-9_.-])((?:data\.)?[a-z][a-z0-9]*_[a-z0-9_]+\.[A-Za-z0-9_-]+)(?:\.([A-Za-z0-9_]+))?/g;

/** References made by the interpolations of a string (`${aws_x.y.arn}` -> `aws_x.y`, `arn`). */
export function referencesInString(text: string): Reference[] {
  const refs: Reference[] = [];
  for (const inner of interpolations(text)) {
    for (const m of inner.matchAll(REFERENCE)) {
      refs.push(m[2] === undefined ? { address: m[1] } : { address: m[1], attribute: m[2] });
    }
  }
  return refs;
}

/** Every string inside a JSON value, depth first, with its key path. */
export function* stringsIn(
  value: unknown,
  path: readonly string[] = [],
): Generator<{ readonly path: readonly string[]; readonly value: string }> {
  if (typeof value === "string") {
    yield { path, value };
  } else if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) yield* stringsIn(value[i], [...path, String(i)]);
  } else if (typeof value === "object" && value !== null) {
    for (const [key, inner] of Object.entries(value)) yield* stringsIn(inner, [...path, key]);
  }
}

/** References anywhere in a JSON value (JSON strings such as redrive policies included). */
export function referencesIn(value: unknown): Reference[] {
  const refs: Reference[] = [];
  for (const { value: text } of stringsIn(value)) refs.push(...referencesInString(text));
  return refs;
}

/** `${aws_x.y.arn}` with the braces removed, for people: `aws_x.y.arn`. */
export function readableReference(text: string): string {
  return text.replace(/\$\{([^{}]*)\}/g, "$1");
}

/** A string that is exactly one reference, e.g. `${aws_sqs_queue.q.arn}`. */
export function soleReference(value: unknown): Reference | undefined {
  if (typeof value !== "string") return undefined;
  const m =
    /^\$\{((?:data\.)?[a-z][a-z0-9]*_[a-z0-9_]+\.[A-Za-z0-9_-]+)(?:\.([A-Za-z0-9_]+))?\}$/.exec(
      value,
    );
  if (!m) return undefined;
  return m[2] === undefined ? { address: m[1] } : { address: m[1], attribute: m[2] };
}

/** Values of a list-or-single attribute (Terraform JSON accepts both for nested blocks). */
export function asList<T = unknown>(value: unknown): T[] {
  if (value === undefined || value === null) return [];
  return (Array.isArray(value) ? value : [value]) as T[];
}

/** Provider aliases of a synthesized stack (`provider.aws[].alias`); every AWS provider has one. */
export function awsAliases(stackJson: { provider?: { aws?: { alias?: string }[] } }): string[] {
  return (stackJson.provider?.aws ?? []).map((p) => {
    if (p.alias === undefined) throw new Error("every AWS provider must have an alias");
    return p.alias;
  });
}
