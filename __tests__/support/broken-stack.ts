/**
 * Test helpers for the policy rules: the real synthesized stacks broken on purpose (a deep copy
 * with one thing changed), blocks picked by id, and the expectation that one rule fires alone.
 */
import { runChecks } from "../../checks/run";
import { Violation } from "../../checks/rules";
import { StackJson, TerraformJson } from "../../inspect/terraform-json";
import { defaultConfig, stackJsons } from "./synth";

export type Body = Record<string, unknown>;
export type Section = Record<string, Record<string, Body>>;
/** The Terraform JSON of a stack, with the sections a change edits. */
export type EditableJson = TerraformJson & { resource: Section; data: Section };

/** `stacks` with `primary` changed by `change` (on a deep copy), checked by every rule. */
export function broken(stacks: readonly StackJson[], change: (json: EditableJson) => void) {
  const copy = structuredClone(stacks) as StackJson[];
  change(copy.find((s) => s.name === "primary")!.json as EditableJson);
  return runChecks(copy);
}

/** The one block of `type` in `section` whose id contains `part`. */
export function pick(section: Section, type: string, part: string): [string, Body] {
  const found = Object.entries(section[type] ?? {}).filter(([id]) => id.includes(part));
  if (found.length !== 1) throw new Error(`${found.length} ${type} match ${part}`);
  return found[0];
}

/** Statements of a policy document data source. */
export const statements = (doc: Body) => doc.statement as Body[];

export const rulesOf = (violations: Violation[]) => [...new Set(violations.map((v) => v.rule))];

/** Only `rule` fired, at a block matching `address`, and (given) a reason matching `why`. */
export function expectOnly(violations: Violation[], rule: string, address: RegExp, why?: RegExp) {
  expect(rulesOf(violations)).toEqual([rule]);
  expect(violations.some((v) => address.test(v.address))).toBe(true);
  if (why) expect(violations.map((v) => v.why).join("\n")).toMatch(why);
}

/** `${aws_sns_topic.<fan-out topic>.owner}`: the account, as the stack's own JSON names it. */
export function topicOwner(resource: Section): string {
  const [id] = Object.keys(resource.aws_sns_topic).filter((x) => /^topic_/.test(x));
  return `\${aws_sns_topic.${id}.owner}`;
}

/**
 * The default configuration's stacks, synthesized before the suite's tests run, and `broken`
 * over them: `const real = defaultStacks();` at the top of a suite, then `real.broken(...)`.
 */
export function defaultStacks() {
  let stacks: StackJson[] = [];
  beforeAll(() => {
    stacks = stackJsons(defaultConfig());
  });
  return {
    get stacks(): StackJson[] {
      return stacks;
    },
    broken: (change: (json: EditableJson) => void) => broken(stacks, change),
  };
}
