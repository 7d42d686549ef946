/**
 * What a policy rule is: a named check over an indexed stack that answers the blocks breaking it.
 */
import { homedir, tmpdir } from "node:os";
import { StackIndex } from "../../inspect/stack-index";
import { PROJECT_ROOT } from "../../inspect/synth";
import { Block } from "../../inspect/terraform-json";

/** One broken rule. */
export interface Violation {
  readonly rule: string;
  readonly stack: string;
  /** Terraform address of the offending block, or `(stack)`. */
  readonly address: string;
  readonly why: string;
}

export interface Rule {
  /** Kebab-case name, printed in every violation. */
  readonly id: string;
  /** One sentence: what must hold. */
  readonly description: string;
  readonly check: (stack: StackIndex, context: RuleContext) => Found[];
}

/** Facts about the machine the rules need (for the machine-path rule). */
export interface RuleContext {
  /** Directories whose paths must not appear in the synthesized JSON. */
  readonly machineDirs: readonly string[];
}

/** The project directory, the home directory and the temp directory of this machine. */
export function machineContext(): RuleContext {
  const dirs = [PROJECT_ROOT, homedir(), tmpdir(), process.env.HOME ?? ""].filter(
    (d) => d.length > 1,
  );
  return { machineDirs: [...new Set(dirs)] };
}

/** A violation as a rule reports it: the runner adds the rule and the stack. */
export type Found = Omit<Violation, "rule" | "stack">;

/** A violation at a block (or at an address such as `(stack)`). */
export const found = (block: Block | string, why: string): Found => ({
  address: typeof block === "string" ? block : block.address,
  why,
});
