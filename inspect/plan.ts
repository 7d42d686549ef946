/**
 * `terraform show -json` of a planned stack, indexed: the configuration's resources by address
 * and type, the resolved region of each (its provider's constant `region`) and the resources each
 * expression references; and the configuration read back as Terraform JSON, so that the policy
 * rules, which read synthesized stacks, can read a plan too.
 */
import type { Json, StackJson, TerraformJson } from "./terraform-json";

/** A subset of `terraform show -json` output: what the checks read. */
export interface PlanJson {
  readonly resource_changes?: readonly ResourceChange[];
  readonly configuration: {
    readonly provider_config: Readonly<Record<string, ProviderConfig>>;
    readonly root_module: { readonly resources?: readonly ConfigResource[] };
  };
}

export interface ResourceChange {
  readonly address: string;
  readonly mode: "managed" | "data";
  readonly type: string;
  readonly name: string;
  readonly change: {
    readonly actions: readonly string[];
    readonly after?: Record<string, unknown> | null;
    readonly after_unknown?: Record<string, unknown>;
  };
}

export interface ProviderConfig {
  readonly name: string;
  readonly alias?: string;
  readonly expressions?: Record<string, Expression>;
}

/** A configuration expression: a constant, references, or nested blocks of expressions. */
export type Expression =
  | { readonly constant_value?: unknown; readonly references?: readonly string[] }
  | readonly Record<string, Expression>[];

export interface ConfigResource {
  readonly address: string;
  readonly mode: "managed" | "data";
  readonly type: string;
  readonly name: string;
  readonly provider_config_key: string;
  readonly expressions?: Record<string, Expression>;
}

/** The constant value of an expression, when it is one. */
export function constant(expr: Expression | undefined): unknown {
  return expr !== undefined && !Array.isArray(expr)
    ? (expr as { constant_value?: unknown }).constant_value
    : undefined;
}

/** The nested blocks of an expression (none when it is not a block list). */
export function nestedBlocks(expr: Expression | undefined): readonly Record<string, Expression>[] {
  return Array.isArray(expr) ? (expr as readonly Record<string, Expression>[]) : [];
}

/** Addresses (`type.name` or `data.type.name`) an expression references, deduplicated. */
export function referencedAddresses(expr: Expression | undefined): string[] {
  const out = new Set<string>();
  const visit = (e: Expression | undefined): void => {
    if (e === undefined || e === null) return;
    if (Array.isArray(e)) {
      for (const block of nestedBlocks(e)) for (const inner of Object.values(block)) visit(inner);
      return;
    }
    const refs = (e as { references?: readonly string[] }).references ?? [];
    for (const ref of refs) {
      const parts = ref.split(".");
      const n = parts[0] === "data" ? 3 : 2;
      if (parts.length >= n) out.add(parts.slice(0, n).join("."));
    }
  };
  visit(expr);
  return [...out];
}

/** A planned stack's configuration, indexed once. */
export class PlanIndex {
  readonly resources: readonly ConfigResource[];
  private readonly byAddress: ReadonlyMap<string, ConfigResource>;

  constructor(readonly plan: PlanJson) {
    this.resources = plan.configuration.root_module.resources ?? [];
    this.byAddress = new Map(this.resources.map((r) => [r.address, r]));
  }

  /** Managed resources of one type. */
  ofType(type: string): ConfigResource[] {
    return this.resources.filter((r) => r.mode === "managed" && r.type === type);
  }

  /** The resolved region of a resource: its provider's constant `region`. */
  regionOf(r: ConfigResource): string | undefined {
    const provider = this.plan.configuration.provider_config[r.provider_config_key];
    return constant(provider?.expressions?.region) as string | undefined;
  }

  /** The resources an attribute references (`undefined` for an address the plan lacks). */
  refs(r: ConfigResource, attribute: string): (ConfigResource | undefined)[] {
    return referencedAddresses(r.expressions?.[attribute]).map((a) => this.byAddress.get(a));
  }

  /** The constant value of an attribute, as a string. */
  text(r: ConfigResource, attribute: string): string {
    return String(constant(r.expressions?.[attribute]));
  }
}

/**
 * An expression as the Terraform JSON it was written as: its constant (Terraform shows a JSON
 * string, template or not, as its text), nested blocks as lists of bodies, and an expression
 * with references only as an interpolation of the first (the most specific) one.
 */
function jsonValue(expr: Expression): unknown {
  if (Array.isArray(expr)) return nestedBlocks(expr).map(jsonBody);
  const { constant_value: value, references = [] } = expr as {
    constant_value?: unknown;
    references?: readonly string[];
  };
  if (value !== undefined || references.length === 0) return value;
  return `\${${references[0]}}`;
}

function jsonBody(expressions: Readonly<Record<string, Expression>> | undefined): Json {
  return Object.fromEntries(
    Object.entries(expressions ?? {}).map(([name, expr]) => [name, jsonValue(expr)]),
  );
}

/**
 * The configuration of a plan as the stack's Terraform JSON: every resource and data source
 * with its attributes and its provider (`aws.<alias>`), and every provider configuration.
 */
export function planStack(name: string, plan: PlanJson): StackJson {
  const provider: Record<string, Json[]> = {};
  for (const config of Object.values(plan.configuration.provider_config)) {
    const body = jsonBody(config.expressions);
    if (config.alias !== undefined) body.alias = config.alias;
    (provider[config.name] ??= []).push(body);
  }
  const sections: Record<"managed" | "data", Record<string, Record<string, Json>>> = {
    managed: {},
    data: {},
  };
  for (const r of plan.configuration.root_module.resources ?? []) {
    const body = jsonBody(r.expressions);
    if (r.provider_config_key.includes(".")) body.provider = r.provider_config_key;
    (sections[r.mode][r.type] ??= {})[r.name] = body;
  }
  const json: TerraformJson = { provider, resource: sections.managed, data: sections.data };
  return { name, json };
}
