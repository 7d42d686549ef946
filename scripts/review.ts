/**
 * `npm run review [-- --out <cdktf.out>] [--base <earlier cdktf.out>] [--output <file>]`:
 * writes the review report (default `review-report.md` in the project root) and prints where.
 * `--base-label` names the base in the report (default: the `--base` path as given).
 *
 * Without `--out` it synthesizes the project's configuration in-process. The exit code is 0
 * even when policy checks fail: the report shows them, and `npm run check` is the gate.
 */
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { ConfigError } from "../config/config";
import { runChecks } from "../checks/run";
import { mermaidProblems } from "../review/mermaid-parser";
import { buildReport, mermaidBlocks } from "../review/report";
import { PROJECT_ROOT, projectConfig, readStacks, synthStacks } from "../inspect/synth";

const USAGE =
  "usage: npm run review [-- --out <cdktf.out>] [--base <earlier cdktf.out> [--base-label <text>]] [--output <file>]";

interface Args {
  out?: string;
  base?: string;
  baseLabel?: string;
  output: string;
}

function parseArgs(argv: readonly string[]): Args | undefined {
  const args: Args = { output: join(PROJECT_ROOT, "review-report.md") };
  for (let i = 0; i < argv.length; i++) {
    const value = argv[i + 1];
    const flag = argv[i];
    if (flag === "--help" || flag === "-h") return undefined;
    if (value === undefined || !["--out", "--base", "--base-label", "--output"].includes(flag)) {
      throw new Error(`bad argument ${flag}\n${USAGE}`);
    }
    if (flag === "--out") args.out = value;
    if (flag === "--base") args.base = value;
    if (flag === "--base-label") args.baseLabel = value;
    if (flag === "--output") args.output = resolve(value);
    i++;
  }
  return args;
}

function main(argv: readonly string[]): number {
  const args = parseArgs(argv);
  if (!args) {
    console.log(USAGE);
    return 0;
  }
  const stacks = args.out === undefined ? synthStacks(projectConfig()) : readStacks(args.out);
  const report = buildReport({
    stacks,
    violations: runChecks(stacks),
    base:
      args.base === undefined
        ? undefined
        : { stacks: readStacks(args.base), label: args.baseLabel ?? args.base },
  });
  const broken = mermaidProblems(mermaidBlocks(report));
  if (broken.length > 0) throw new Error(`generated Mermaid is malformed:\n${broken.join("\n")}`);
  writeFileSync(args.output, report);
  console.log(`Review report of ${stacks.length} stack(s) written to ${args.output}`);
  return 0;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : (error as Error).message);
  process.exitCode = 1;
}
