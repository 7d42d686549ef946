/**
 * `npm run check [-- --out <cdktf.out>]`: the policy rules over every synthesized stack.
 *
 * Without `--out` it synthesizes the project's configuration (cdktf.json, then FANOUT_*
 * variables) in-process; with it, it reads the stacks of an existing synth output. Prints a
 * table of violations and exits 1 when there is any; a bad setting or a directory that is no
 * synth output ends with one line.
 */
import { formatViolations, runChecks } from "../checks/run";
import { projectConfig, readStacks, synthStacks } from "../inspect/synth";
import { StackJson } from "../inspect/terraform-json";
import { runScript } from "./script-run";

export const USAGE = "usage: npm run check [-- --out <cdktf.out directory>]";

/** Checks the stacks; `argv` are the arguments after `npm run check --`. Answers the exit code. */
export function main(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): number {
  let out: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--out" && argv[i + 1] !== undefined) out = argv[++i];
    else if (argv[i] === "--help" || argv[i] === "-h") {
      console.log(USAGE);
      return 0;
    } else {
      const what = argv[i] === "--out" ? "--out needs a directory" : `unknown argument ${argv[i]}`;
      console.error(`${what}; ${USAGE}`);
      return 2;
    }
  }
  const stacks: StackJson[] = out === undefined ? synthStacks(projectConfig(env)) : readStacks(out);
  const violations = runChecks(stacks);
  console.log(formatViolations(violations, stacks.length));
  return violations.length === 0 ? 0 : 1;
}

runScript(require.main === module, () => main(process.argv.slice(2)));
