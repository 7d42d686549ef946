/**
 * `npm run check [-- --out <cdktf.out>]`: the policy rules over every synthesized stack.
 *
 * Without `--out` it synthesizes the project's configuration (cdktf.json, then FANOUT_*
 * variables) in-process; with it, it reads the stacks of an existing synth output. Prints a
 * table of violations and exits 1 when there is any.
 */
import { ConfigError } from "../config/config";
import { formatViolations, runChecks } from "../checks/run";
import { projectConfig, readStacks, synthStacks } from "../inspect/synth";
import { StackJson } from "../inspect/terraform-json";

const USAGE = "usage: npm run check [-- --out <cdktf.out directory>]";

function main(argv: readonly string[]): number {
  let out: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--out" && argv[i + 1] !== undefined) out = argv[++i];
    else if (argv[i] === "--help" || argv[i] === "-h") {
      console.log(USAGE);
      return 0;
    } else {
      console.error(`unknown argument ${argv[i]}\n${USAGE}`);
      return 2;
    }
  }
  const stacks: StackJson[] = out === undefined ? synthStacks(projectConfig()) : readStacks(out);
  const violations = runChecks(stacks);
  console.log(formatViolations(violations, stacks.length));
  return violations.length === 0 ? 0 : 1;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exitCode = 1;
}
