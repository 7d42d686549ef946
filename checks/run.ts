/**
 * Runs the policy rules over synthesized stacks and prints what broke.
 */
import { machineContext, Rule, RuleContext, RULES, Violation } from "./rules";
import { StackIndex } from "../inspect/stack-index";
import { StackJson } from "../inspect/terraform-json";

export interface RunOptions {
  /** @default - every rule in RULES */
  readonly rules?: readonly Rule[];
  /** @default - this machine's project, home and temp directories */
  readonly context?: RuleContext;
}

/** Every violation of every rule in every stack, in rule order, then stack, then address. */
export function runChecks(stacks: readonly StackJson[], options: RunOptions = {}): Violation[] {
  const rules = options.rules ?? RULES;
  const context = options.context ?? machineContext();
  const indexes = stacks.map((s) => new StackIndex(s));
  const out: Violation[] = [];
  for (const rule of rules) {
    const forRule: Violation[] = [];
    for (const stack of indexes) {
      for (const v of rule.check(stack, context)) {
        forRule.push({ rule: rule.id, stack: stack.name, address: v.address, why: v.why });
      }
    }
    forRule.sort(
      (a, b) =>
        a.stack.localeCompare(b.stack) ||
        a.address.localeCompare(b.address) ||
        a.why.localeCompare(b.why),
    );
    out.push(...forRule);
  }
  return out;
}

/** A plain-text table of violations (rule, stack, resource, why), or a one-line all-clear. */
export function formatViolations(violations: readonly Violation[], stackCount: number): string {
  if (violations.length === 0) {
    return `Policy checks: ${RULES.length} rules, ${stackCount} stack(s), no violations.`;
  }
  const header = ["rule", "stack", "resource", "why"];
  const rows = violations.map((v) => [v.rule, v.stack, v.address, v.why]);
  const widths = [0, 1, 2].map((i) => Math.max(header[i].length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i < 3 ? c.padEnd(widths[i]) : c))
      .join("  ")
      .trimEnd();
  return [
    line(header),
    line(widths.map((w) => "-".repeat(w)).concat("---")),
    ...rows.map(line),
    "",
    `Policy checks: ${violations.length} violation(s) in ${stackCount} stack(s).`,
  ].join("\n");
}
