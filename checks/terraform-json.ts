/**
 * A read-only view of synthesized Terraform JSON (`cdk.tf.json`) for the policy checks and the
 * review report: blocks by address, providers and regions, references between blocks, and the
 * statements of policies. Nothing here knows this project's resource ids, so new resource types
 * are simply more blocks.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { FanoutConfig } from "../config/config";
import { tempOutdir } from "../verify/offline-plan";
import { synthToDir } from "../verify/synth";

type Json = Record<string, unknown>;

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

/** An IAM policy statement, from an `aws_iam_policy_document` block or from policy JSON. */
export interface Statement {
  readonly sid?: string;
  readonly effect: "Allow" | "Deny";
  readonly actions: readonly string[];
  readonly notActions: readonly string[];
  readonly resources: readonly string[];
  readonly notResources: readonly string[];
  readonly principals: readonly Principal[];
  readonly notPrincipals: readonly Principal[];
  readonly conditions: readonly Condition[];
}

export interface Principal {
  /** `AWS`, `Service`, `Federated` or `*`. */
  readonly type: string;
  readonly identifiers: readonly string[];
}

export interface Condition {
  readonly test: string;
  readonly variable: string;
  readonly values: readonly string[];
}

const strings = (value: unknown): string[] => asList(value).map(String);

/** Statements of an `aws_iam_policy_document` data source body. */
export function documentStatements(body: Json): Statement[] {
  return asList<Json>(body.statement).map((s) => ({
    sid: s.sid === undefined ? undefined : String(s.sid),
    effect: s.effect === "Deny" ? "Deny" : "Allow",
    actions: strings(s.actions),
    notActions: strings(s.not_actions),
    resources: strings(s.resources),
    notResources: strings(s.not_resources),
    principals: asList<Json>(s.principals).map((p) => ({
      type: String(p.type),
      identifiers: strings(p.identifiers),
    })),
    notPrincipals: asList<Json>(s.not_principals).map((p) => ({
      type: String(p.type),
      identifiers: strings(p.identifiers),
    })),
    conditions: asList<Json>(s.condition).map((c) => ({
      test: String(c.test),
      variable: String(c.variable),
      values: strings(c.values),
    })),
  }));
}

function jsonPrincipals(value: unknown): Principal[] {
  if (value === undefined) return [];
  if (value === "*") return [{ type: "*", identifiers: ["*"] }];
  if (typeof value !== "object" || value === null) return [];
  return Object.entries(value).map(([type, ids]) => ({ type, identifiers: strings(ids) }));
}

/** Statements of an IAM policy in JSON (`{"Version": ..., "Statement": [...]}`). */
export function jsonPolicyStatements(policy: Json): Statement[] {
  return asList<Json>(policy.Statement).map((s) => ({
    sid: s.Sid === undefined ? undefined : String(s.Sid),
    effect: s.Effect === "Deny" ? "Deny" : "Allow",
    actions: strings(s.Action),
    notActions: strings(s.NotAction),
    resources: strings(s.Resource),
    notResources: strings(s.NotResource),
    principals: jsonPrincipals(s.Principal),
    notPrincipals: jsonPrincipals(s.NotPrincipal),
    conditions: Object.entries((s.Condition ?? {}) as Record<string, Json>).flatMap(
      ([test, byVariable]) =>
        Object.entries(byVariable).map(([variable, values]) => ({
          test,
          variable,
          values: strings(values),
        })),
    ),
  }));
}

/** What a `policy`-like attribute holds. */
export type PolicySource =
  | { readonly kind: "document"; readonly address: string; readonly statements: Statement[] }
  | { readonly kind: "inline"; readonly statements: Statement[] }
  | { readonly kind: "opaque"; readonly text: string };

/** An indexed stack: the lookups every rule needs, computed once. */
export class StackIndex {
  readonly name: string;
  readonly json: TerraformJson;
  readonly blocks: readonly Block[];
  private readonly byAddress = new Map<string, Block>();
  /** Provider key (`aws.us-east-1`, or `aws` for the default) -> region. */
  private readonly providerRegions = new Map<string, string>();

  constructor(stack: StackJson) {
    this.name = stack.name;
    this.json = stack.json;
    const blocks: Block[] = [];
    for (const [mode, section] of [
      ["managed", stack.json.resource],
      ["data", stack.json.data],
    ] as const) {
      for (const [type, byId] of Object.entries(section ?? {})) {
        for (const [id, body] of Object.entries(byId)) {
          const address = mode === "data" ? `data.${type}.${id}` : `${type}.${id}`;
          const block: Block = { mode, type, id, address, body };
          blocks.push(block);
          this.byAddress.set(address, block);
        }
      }
    }
    this.blocks = blocks;
    for (const [name, configs] of Object.entries(stack.json.provider ?? {})) {
      for (const config of asList<Json>(configs)) {
        const key = config.alias === undefined ? name : `${name}.${String(config.alias)}`;
        this.providerRegions.set(
          key,
          typeof config.region === "string" ? config.region : String(config.alias ?? ""),
        );
      }
    }
  }

  /** Managed resources (optionally of one type). */
  resources(type?: string): Block[] {
    return this.blocks.filter(
      (b) => b.mode === "managed" && (type === undefined || b.type === type),
    );
  }

  /** Data sources (optionally of one type). */
  dataSources(type?: string): Block[] {
    return this.blocks.filter((b) => b.mode === "data" && (type === undefined || b.type === type));
  }

  block(address: string): Block | undefined {
    return this.byAddress.get(address);
  }

  /** The block a value refers to when it is exactly one reference (`${aws_x.y.arn}`). */
  target(value: unknown, attributes?: readonly string[]): Block | undefined {
    const ref = soleReference(value);
    if (!ref) return undefined;
    if (attributes && !attributes.includes(ref.attribute ?? "")) return undefined;
    return this.byAddress.get(ref.address);
  }

  /** The provider key of a block: its `provider` attribute, or the default `<name>` provider. */
  providerKey(block: Block): string {
    return typeof block.body.provider === "string"
      ? block.body.provider
      : block.type.slice(0, block.type.indexOf("_"));
  }

  /** Region of a block, from its provider; `undefined` when the provider is unknown. */
  regionOf(block: Block): string | undefined {
    return this.providerRegions.get(this.providerKey(block));
  }

  /** Every configured region, in provider order. */
  regions(): string[] {
    return [...new Set(this.providerRegions.values())];
  }

  /** Reads a `policy`-like attribute: a document reference, inline JSON, or something opaque. */
  policy(value: unknown): PolicySource | undefined {
    if (value === undefined || value === null) return undefined;
    const doc = this.target(value, ["json", "minified_json"]);
    if (doc && doc.type === "aws_iam_policy_document" && doc.mode === "data") {
      return { kind: "document", address: doc.address, statements: documentStatements(doc.body) };
    }
    const text = typeof value === "string" ? value : JSON.stringify(value);
    try {
      const parsed = JSON.parse(text) as unknown;
      if (typeof parsed === "object" && parsed !== null && "Statement" in parsed) {
        return { kind: "inline", statements: jsonPolicyStatements(parsed as Json) };
      }
    } catch {
      // not JSON: an expression such as jsonencode(...)
    }
    return { kind: "opaque", text };
  }

  /** Blocks (resources and data sources) whose body references `address`. */
  referrers(address: string): { block: Block; attribute: string }[] {
    const found: { block: Block; attribute: string }[] = [];
    for (const block of this.blocks) {
      for (const [attribute, value] of Object.entries(block.body)) {
        if (attribute === "//" || attribute === "depends_on") continue;
        if (referencesIn(value).some((r) => r.address === address)) {
          found.push({ block, attribute });
        }
      }
    }
    return found;
  }
}

/** Reads every stack of a synth output directory (`<outdir>/stacks/<stack>/cdk.tf.json`). */
export function readStacks(outdir: string): StackJson[] {
  const stacksDir = join(outdir, "stacks");
  if (!existsSync(stacksDir)) {
    throw new Error(`${outdir} holds no stacks/ directory; is it a cdktf synth output?`);
  }
  const names = readdirSync(stacksDir)
    .filter((name) => existsSync(join(stacksDir, name, "cdk.tf.json")))
    .sort();
  if (names.length === 0) throw new Error(`${stacksDir} holds no cdk.tf.json`);
  return names.map((name) => ({
    name,
    json: JSON.parse(readFileSync(join(stacksDir, name, "cdk.tf.json"), "utf8")) as TerraformJson,
  }));
}

/** Synthesizes every stack of `config` into a temporary directory and reads it back. */
export function synthStacks(config: FanoutConfig): StackJson[] {
  const outdir = tempOutdir("checks");
  try {
    synthToDir(config, outdir);
    return readStacks(outdir);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
