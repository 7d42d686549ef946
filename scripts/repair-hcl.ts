/**
 * `npm run synth:hcl` runs this after `cdktf synth --hcl --output cdktf.out/hcl`: repairs each
 * stack's `cdk.tf` where cdktf 0.21's HCL writer leaves quotes unescaped and references quoted
 * (see verify/hcl.ts), so `terraform validate` accepts it. cdktf does not clean a stack
 * directory, so a `cdk.tf.json` left by an earlier JSON synth into the same directory is
 * removed: Terraform would read both files and see every resource twice. Each stack's local
 * state path is rebased so that planning the HCL in place reads the same state file as the
 * JSON synth (`terraform.<stack>.tfstate` in the project root).
 */
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join, relative } from "node:path";
import { repairHclDir } from "../verify/hcl";

const outdir = process.argv[2] ?? "cdktf.out/hcl";
/** Where `npm run synth` writes the JSON stacks: cdktf.json's `output`. */
const jsonOutdir =
  (JSON.parse(readFileSync("cdktf.json", "utf8")) as { output?: string }).output ?? "cdktf.out";
try {
  for (const [dir, repair] of repairHclDir(outdir, jsonOutdir)) {
    const stale = join(dir, "cdk.tf.json");
    if (existsSync(stale)) {
      rmSync(stale);
      console.log(`${relative(process.cwd(), stale)}: removed, left by an earlier JSON synth`);
    }
    console.log(
      `${relative(process.cwd(), dir)}/cdk.tf: escaped quotes in ${repair.escapedStrings} string(s), unquoted ${repair.unquotedReferences} reference(s)` +
        (repair.statePath ? `, local state ${repair.statePath}` : ""),
    );
  }
} catch (error) {
  console.error(`Repairing the HCL in ${outdir} failed: ${(error as Error).message}`);
  process.exitCode = 1;
}
