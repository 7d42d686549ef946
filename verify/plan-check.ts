/**
 * The offline plan's check of one stack: its wiring (`wiring.ts`: what only a plan shows), and
 * the policy rules of `checks/rules/` whose invariants the plan must keep too, run on the plan's
 * configuration read back as Terraform JSON. A plan that drops a queue's encryption, its
 * dead-letter queue, its TLS-only or topic-scoped policy, or a function's log group fails here
 * with the rule's id, as the synthesized stack would fail `npm run check`.
 */
import { runChecks } from "../checks/run";
import { RULES, type Rule } from "../checks/rules";
import { planStack, type PlanJson } from "../inspect/plan";
import { checkWiring, type WiringExpectation, type WiringProblem } from "./wiring";

/** The rules run on every plan: those that read what a plan's configuration shows as written. */
export const PLAN_RULE_IDS: readonly string[] = [
  "sqs-encryption",
  "sqs-dead-letter-queue",
  "sqs-tls-only",
  "sqs-policy-feeding-topic",
  "lambda-log-group",
];

/**
 * The rules named by `ids`, in their order.
 * @throws Error naming an id that no rule of `checks/rules/` has
 */
export function rulesById(ids: readonly string[], rules: readonly Rule[] = RULES): Rule[] {
  return ids.map((id) => {
    const rule = rules.find((r) => r.id === id);
    if (rule === undefined) {
      throw new Error(
        `plan rule ${id} is not a rule of checks/rules/ (rules: ${rules.map((r) => r.id).join(", ")})`,
      );
    }
    return rule;
  });
}

/**
 * Checks one stack's plan: the wiring problems first, then each violation of the plan rules as
 * `<rule id>: <why>` at its address. An empty list means the plan is as designed.
 */
export function checkPlan(
  stack: string,
  plan: PlanJson,
  expect: WiringExpectation,
): WiringProblem[] {
  const violations = runChecks([planStack(stack, plan)], { rules: rulesById(PLAN_RULE_IDS) });
  return [
    ...checkWiring(plan, expect),
    ...violations.map((v) => ({ address: v.address, problem: `${v.rule}: ${v.why}` })),
  ];
}
