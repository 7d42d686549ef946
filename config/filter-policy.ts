/**
 * SNS subscription filter policies: the shape of the `subscriptionFilterPolicies` setting, its
 * check against the limits SNS documents (Amazon SNS Developer Guide, "Filter policy
 * constraints"), and which queue of a unit gets which policy.
 *
 * The setting is one JSON object. Its keys say which subscriptions a policy is for: `active`
 * (the active queue of every stack), `replicas` (every replica queue) or a region such as
 * `us-west-2` (the queue of every stack in that region, active or replica). A region key wins
 * over the role key. Each value is `{ "policy": <filter policy>, "scope": <scope> }`, scope
 * `MessageAttributes` (SNS's default) or `MessageBody`.
 */
import type { QueueRole } from "./names";
import type { SettingSpec } from "./settings";

export const FILTER_POLICY_SCOPES = ["MessageAttributes", "MessageBody"] as const;
export type FilterPolicyScope = (typeof FILTER_POLICY_SCOPES)[number];

/** A filter policy as SNS takes it: property name -> rules (or, for `MessageBody`, nesting). */
export type FilterPolicy = { readonly [property: string]: unknown };

/** The filter of one subscription. */
export interface SubscriptionFilter {
  readonly policy: FilterPolicy;
  readonly scope: FilterPolicyScope;
}

/** Filter by target: `active`, `replicas` or a region. */
export type SubscriptionFilters = { readonly [target: string]: SubscriptionFilter };

/** The keys that name every queue of a role. */
export const ROLE_TARGETS = { active: "active", replica: "replicas" } as const;

/** SNS's documented limits of one filter policy. */
export const FILTER_POLICY_LIMITS = {
  /** Property names (for `MessageBody`: top-level ones); `$or` branches' names count. */
  maxKeys: 5,
  /** Product of the rule counts (weighted by nesting depth), summed over `$or` branches. */
  maxCombinations: 150,
  /** UTF-8 bytes of the policy's JSON. */
  maxBytes: 262_144,
  /** Numbers in a policy lie within -1e9 to 1e9. */
  maxNumber: 1e9,
} as const;

const NUMERIC_OPERATORS = ["=", "<", "<=", ">", ">="];
const STRING_OPERATORS = ["prefix", "suffix", "equals-ignore-case"];
/** Every operator SNS accepts in a rule object. */
export const FILTER_OPERATORS = [...STRING_OPERATORS, "anything-but", "numeric", "exists"];

type Check<T> = T | { readonly problem: string };

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);
const quote = (text: string): string =>
  JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}...` : text);
const isProblem = <T>(v: Check<T>): v is { readonly problem: string } =>
  isObject(v) && typeof v.problem === "string";

function numberProblem(value: number, where: string): string | undefined {
  if (!Number.isFinite(value) || Math.abs(value) > FILTER_POLICY_LIMITS.maxNumber) {
    return `${where} has number ${value} outside -1e9 to 1e9`;
  }
  return undefined;
}

function numericProblem(args: unknown, where: string): string | undefined {
  const bad = `${where} "numeric" must be [op, n] with op one of ${NUMERIC_OPERATORS.join(" ")}, or [">"|">=", low, "<"|"<=", high]`;
  if (!Array.isArray(args) || (args.length !== 2 && args.length !== 4)) return bad;
  const ops = args.filter((_, i) => i % 2 === 0);
  const values = args.filter((_, i) => i % 2 === 1);
  if (!ops.every((op) => NUMERIC_OPERATORS.includes(op as string))) return bad;
  if (!values.every((n) => typeof n === "number")) return bad;
  for (const n of values as number[]) {
    const problem = numberProblem(n, where);
    if (problem) return problem;
  }
  if (args.length === 4) {
    if (![">", ">="].includes(args[0]) || !["<", "<="].includes(args[2])) return bad;
    if (args[1] >= args[3])
      return `${where} "numeric" range has low ${args[1]} not below high ${args[3]}`;
  }
  return undefined;
}

function anythingButProblem(arg: unknown, where: string): string | undefined {
  if (typeof arg === "string") return undefined;
  if (typeof arg === "number") return numberProblem(arg, where);
  if (isObject(arg)) {
    const [op, ...more] = Object.keys(arg);
    if (more.length === 0 && (op === "prefix" || op === "suffix") && typeof arg[op] === "string") {
      return arg[op] === "" ? `${where} "anything-but" ${op} is empty` : undefined;
    }
  }
  if (Array.isArray(arg) && arg.length > 0) {
    if (arg.every((v) => typeof v === "string")) return undefined;
    if (arg.every((v) => typeof v === "number")) {
      return arg.map((n) => numberProblem(n as number, where)).find(Boolean);
    }
  }
  return `${where} "anything-but" must be a string, a number, a non-empty list of strings or of numbers, or {"prefix"|"suffix": string}`;
}

function operatorProblem(rule: Record<string, unknown>, where: string): string | undefined {
  const keys = Object.keys(rule);
  if (keys.length !== 1) return `${where} has a rule object with ${keys.length} operators, not one`;
  const [op] = keys;
  const arg = rule[op];
  if (STRING_OPERATORS.includes(op)) {
    return typeof arg === "string" && arg !== ""
      ? undefined
      : `${where} "${op}" must be a non-empty string`;
  }
  if (op === "exists")
    return typeof arg === "boolean" ? undefined : `${where} "exists" must be true or false`;
  if (op === "numeric") return numericProblem(arg, where);
  if (op === "anything-but") return anythingButProblem(arg, where);
  return `${where} has unknown operator ${quote(op)} (known: ${FILTER_OPERATORS.join(", ")})`;
}

function rulesProblem(rules: unknown[], where: string): string | undefined {
  if (rules.length === 0) return `${where} has an empty list of rules`;
  for (const rule of rules) {
    if (rule === null || typeof rule === "string" || typeof rule === "boolean") continue;
    const problem =
      typeof rule === "number"
        ? numberProblem(rule, where)
        : isObject(rule)
          ? operatorProblem(rule, where)
          : `${where} has a rule that is a list; rules are strings, numbers, true, false, null or operator objects`;
    if (problem) return problem;
  }
  return undefined;
}

/**
 * The combinations of a (sub-)policy at nesting `depth` (1 at the top), or why it is invalid:
 * the product over its properties of rule count x depth (a nested object contributes its own
 * combinations one level deeper); `$or` contributes the sum of its branches'.
 */
function combinations(
  node: Record<string, unknown>,
  depth: number,
  scope: FilterPolicyScope,
): Check<number> {
  const limit = FILTER_POLICY_LIMITS.maxCombinations;
  if (depth > limit) return { problem: `is nested too deep: more than ${limit} combinations` };
  let product = 1;
  for (const [key, value] of Object.entries(node)) {
    const where = `property ${quote(key)}`;
    let factor: Check<number>;
    if (key === "$or") {
      if (!Array.isArray(value) || value.length < 2 || !value.every(isObject)) {
        return { problem: `"$or" must be a list of at least two objects` };
      }
      factor = 0;
      for (const branch of value) {
        if (Object.keys(branch).length === 0) return { problem: `"$or" has an empty branch` };
        const sum = combinations(branch, depth, scope);
        if (isProblem(sum)) return sum;
        factor += sum;
      }
    } else if (Array.isArray(value)) {
      const problem = rulesProblem(value, where);
      if (problem) return { problem };
      factor = value.length * depth;
    } else if (isObject(value)) {
      if (scope === "MessageAttributes") {
        return { problem: `${where} is nested; only scope MessageBody allows nesting` };
      }
      if (Object.keys(value).length === 0) return { problem: `${where} is an empty object` };
      factor = combinations(value, depth + 1, scope);
      if (isProblem(factor)) return factor;
    } else {
      return {
        problem: `${where} must be a list of rules${scope === "MessageBody" ? " or an object" : ""}`,
      };
    }
    product *= factor;
    if (product > limit) {
      return { problem: `is too complex: more than ${limit} combinations of values` };
    }
  }
  return product;
}

/** Property names SNS counts against the key limit: top-level ones, through `$or` branches. */
function countedKeys(node: Record<string, unknown>, into = new Set<string>()): Set<string> {
  for (const [key, value] of Object.entries(node)) {
    if (key !== "$or") into.add(key);
    else if (Array.isArray(value)) value.filter(isObject).forEach((b) => countedKeys(b, into));
  }
  return into;
}

/** Why `policy` is not a filter policy SNS accepts for `scope`, or `undefined` when it is. */
export function filterPolicyProblem(policy: unknown, scope: FilterPolicyScope): string | undefined {
  if (!isObject(policy)) return "is not a JSON object";
  if (Object.keys(policy).length === 0) return "has no properties";
  const bytes = Buffer.byteLength(JSON.stringify(policy), "utf8");
  if (bytes > FILTER_POLICY_LIMITS.maxBytes) {
    return `is ${bytes} bytes, more than ${FILTER_POLICY_LIMITS.maxBytes}`;
  }
  const checked = combinations(policy, 1, scope);
  if (isProblem(checked)) return checked.problem;
  const keys = countedKeys(policy).size;
  if (keys > FILTER_POLICY_LIMITS.maxKeys) {
    return `has ${keys} property names, more than ${FILTER_POLICY_LIMITS.maxKeys}`;
  }
  return undefined;
}

/** What the setting allows, as printed in errors. */
export const SUBSCRIPTION_FILTERS_ALLOWED =
  '{"active", "replicas" or <region>: {"policy": <SNS filter policy>, "scope": "MessageAttributes" or "MessageBody"}}';

/**
 * Parses the setting's value (an object, or its JSON text from the environment, where an
 * empty value means no filters); `isRegion` tells a region key from a typo.
 */
export function parseSubscriptionFilters(
  value: unknown,
  isRegion: (key: string) => boolean,
): Check<SubscriptionFilters> {
  let parsed = value;
  if (typeof value === "string" && value.trim() === "") {
    parsed = {};
  } else if (typeof value === "string") {
    try {
      parsed = JSON.parse(value) as unknown;
    } catch {
      return { problem: "is not JSON" };
    }
  }
  if (!isObject(parsed)) return { problem: "is not an object" };
  const filters: [string, SubscriptionFilter][] = [];
  for (const [target, entry] of Object.entries(parsed)) {
    const at = `has key ${quote(target)}`;
    if (target !== ROLE_TARGETS.active && target !== ROLE_TARGETS.replica && !isRegion(target)) {
      return { problem: `${at}, which is neither "active", "replicas" nor a region` };
    }
    if (!isObject(entry) || Object.keys(entry).some((k) => k !== "policy" && k !== "scope")) {
      return { problem: `${at} whose value is not {"policy": ..., "scope": ...}` };
    }
    const scope = entry.scope ?? "MessageAttributes";
    if (!FILTER_POLICY_SCOPES.includes(scope as FilterPolicyScope)) {
      return { problem: `${at} with unknown scope ${JSON.stringify(scope)}` };
    }
    const problem = filterPolicyProblem(entry.policy, scope as FilterPolicyScope);
    if (problem) return { problem: `${at} whose policy ${problem}` };
    filters.push([
      target,
      { policy: entry.policy as FilterPolicy, scope: scope as FilterPolicyScope },
    ]);
  }
  return Object.fromEntries(filters);
}

/** The filter of the queue of `role` in `region`: the region's entry, else its role's, else none. */
export function filterFor(
  filters: SubscriptionFilters,
  role: QueueRole,
  region: string,
): SubscriptionFilter | undefined {
  const own = (key: string) => (Object.hasOwn(filters, key) ? filters[key] : undefined);
  return own(region) ?? own(ROLE_TARGETS[role]);
}

/** The `subscriptionFilterPolicies` entry of the settings table. */
export function subscriptionFiltersSetting(region: RegExp): SettingSpec<SubscriptionFilters> {
  return {
    env: "FANOUT_SUBSCRIPTION_FILTER_POLICIES",
    default: {},
    allowed: SUBSCRIPTION_FILTERS_ALLOWED,
    description:
      "Filter policy of the subscriptions by role or region, a region's winning (docs/architecture.md); `{}`: every queue gets every message.",
    parse: ({ value }) => parseSubscriptionFilters(value, (key) => region.test(key)),
  };
}
