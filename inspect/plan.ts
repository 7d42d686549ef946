/**
 * `terraform show -json` of a planned stack, indexed: the configuration's resources by address
 * and type, the resolved region of each (its provider's constant `region`), the resources each
 * expression references, and the statements of policy-document data sources.
 */

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

/** A policy-document data source's statement, as the plan shows it. */
export interface PlanStatement {
  readonly effect: string;
  readonly actions: readonly string[];
  readonly conditionVariables: readonly string[];
  readonly conditionValueRefs: readonly string[];
  readonly conditionValues: readonly unknown[];
}

/** The statements of an `aws_iam_policy_document` configuration; none for anything else. */
export function planStatements(doc: ConfigResource | undefined): PlanStatement[] {
  if (!doc || doc.type !== "aws_iam_policy_document") return [];
  return nestedBlocks(doc.expressions?.statement).map((s) => ({
    effect: (constant(s.effect) as string | undefined) ?? "Allow",
    actions: (constant(s.actions) as string[] | undefined) ?? [],
    conditionVariables: nestedBlocks(s.condition).map((c) => String(constant(c.variable))),
    conditionValueRefs: nestedBlocks(s.condition).flatMap((c) => referencedAddresses(c.values)),
    conditionValues: nestedBlocks(s.condition).flatMap(
      (c) => (constant(c.values) as unknown[] | undefined) ?? [],
    ),
  }));
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
