/**
 * `npm run bench:synth`: how long `cdktf synth` of this project takes next to a trivial
 * two-stack app on the same toolchain (same cdktf CLI, ts-node, provider package), and with
 * `--tests`, how long `npm test` takes. Prints medians; the targets are in the README. A bad
 * setting stops it before any timing, with the setting's one-line message; a synth that fails
 * shows why.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { projectConfig, PROJECT_ROOT } from "../inspect/synth";
import { runScript } from "./script-run";

const RUNS = Number(process.env.BENCH_RUNS ?? 3);

const TRIVIAL_MAIN = `import { App, TerraformStack } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
const app = new App();
for (const [name, region] of [["primary", "us-east-1"], ["secondary", "us-west-2"]]) {
  const stack = new TerraformStack(app, name);
  new AwsProvider(stack, "aws", { region });
}
app.synth();
`;

function seconds(fn: () => void): number {
  const start = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function timeSynth(cwd: string): number {
  const out = mkdtempSync(join(tmpdir(), "bench-synth-out-"));
  const env = { ...process.env, CHECKPOINT_DISABLE: "1" };
  const synth = () => {
    try {
      execFileSync("npx", ["cdktf", "synth", "--output", out], { cwd, env, stdio: "pipe" });
    } catch (error) {
      const output = `${(error as { stderr?: Buffer }).stderr ?? ""}`.trim().split("\n");
      throw new Error(`cdktf synth failed in ${cwd}: ${output[output.length - 1]}`);
    }
  };
  synth(); // warm-up: file cache, ts-node cache
  const times = Array.from({ length: RUNS }, () => seconds(synth));
  rmSync(out, { recursive: true, force: true });
  return median(times);
}

/** Times the synths (and with `--tests`, the tests); answers the exit code. */
export function main(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): number {
  // The same configuration cdktf synth reads: a bad setting is reported here, not hidden.
  projectConfig(env);
  // The trivial app lives inside the project so it resolves the same node_modules and tsconfig.
  const trivialDir = join(PROJECT_ROOT, ".bench", "trivial-app");
  mkdirSync(trivialDir, { recursive: true });
  writeFileSync(join(trivialDir, "main.ts"), TRIVIAL_MAIN);
  writeFileSync(
    join(trivialDir, "cdktf.json"),
    JSON.stringify({ language: "typescript", app: "npx ts-node main.ts", output: "cdktf.out" }),
  );
  try {
    const trivial = timeSynth(trivialDir);
    const project = timeSynth(PROJECT_ROOT);
    const ratio = project / trivial;
    console.log(`cdktf synth, median of ${RUNS} runs after a warm-up:`);
    console.log(`  trivial two-stack app   ${trivial.toFixed(2)} s`);
    console.log(`  this project (2 stacks) ${project.toFixed(2)} s`);
    console.log(`  ratio                   ${ratio.toFixed(2)}x   (target <= 1.5x)`);
  } finally {
    rmSync(join(PROJECT_ROOT, ".bench"), { recursive: true, force: true });
  }
  if (argv.includes("--tests")) {
    const t = seconds(() =>
      execFileSync("npm", ["test", "--silent"], { cwd: PROJECT_ROOT, stdio: "ignore" }),
    );
    console.log(`npm test                  ${t.toFixed(1)} s   (target <= 120 s)`);
  }
  return 0;
}

runScript(require.main === module, () => main(process.argv.slice(2)));
