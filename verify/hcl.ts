/**
 * The exit path off CDKTF: the stacks as HCL (`cdktf synth --hcl`), repaired where cdktf 0.21's
 * HCL writer emits what Terraform rejects, and checked with `terraform init` + `terraform
 * validate` against the provider mirror, offline.
 *
 * cdktf 0.21 writes a string attribute as `name = "<value>"` without escaping the quotes inside
 * the value, so a JSON string such as a redrive policy (`JSON.stringify(...)` in a construct)
 * becomes invalid HCL. It also quotes provider and `depends_on` references, which Terraform
 * accepts with a deprecation warning. `repairCdktfHcl` fixes both, line by line; with
 * `Fn.jsonencode` instead of `JSON.stringify` in the constructs the first repair finds nothing.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join, relative, resolve } from "node:path";
import { runTerraform, terraformEnv } from "./offline-plan";

/** File name of a stack's HCL in a synth output. */
export const HCL_FILE = "cdk.tf";

/** Escapes the `"` of a string literal's content that lie outside `${...}` interpolations. */
function escapeQuotes(content: string): string {
  let out = "";
  let depth = 0;
  for (let i = 0; i < content.length; i++) {
    const c = content[i];
    if (c === "\\") {
      out += content.slice(i, i + 2);
      i++;
    } else if (depth === 0 && content.startsWith("${", i)) {
      out += "${";
      depth = 1;
      i++;
    } else if (depth > 0) {
      if (c === "{") depth++;
      else if (c === "}") depth--;
      out += c;
    } else {
      out += c === '"' ? '\\"' : c;
    }
  }
  return out;
}

export interface HclRepair {
  readonly text: string;
  /** String literals whose inner quotes were escaped. */
  readonly escapedStrings: number;
  /** Provider and `depends_on` references that lost their quotes. */
  readonly unquotedReferences: number;
}

const REFERENCE = /^[a-z][a-z0-9_]*\.[A-Za-z0-9_-]+$/;

/** Repairs the HCL cdktf 0.21 writes (see the module comment). Idempotent. */
export function repairCdktfHcl(hcl: string): HclRepair {
  let escapedStrings = 0;
  let unquotedReferences = 0;
  let inDependsOn = false;
  const lines = hcl.split("\n").map((line) => {
    if (inDependsOn) {
      if (/^\s*\]/.test(line)) inDependsOn = false;
      const entry = /^(\s*)"([^"]+)"(,?)$/.exec(line);
      if (entry && REFERENCE.test(entry[2])) {
        unquotedReferences++;
        return `${entry[1]}${entry[2]}${entry[3]}`;
      }
      return line;
    }
    if (/^\s*depends_on\s*=\s*\[\s*$/.test(line)) {
      inDependsOn = true;
      return line;
    }
    const provider = /^(\s*provider\s*=\s*)"([^"]+)"$/.exec(line);
    if (provider && REFERENCE.test(provider[2])) {
      unquotedReferences++;
      return `${provider[1]}${provider[2]}`;
    }
    const attribute = /^(\s*[A-Za-z_][\w-]*\s*=\s*)"(.*)"(,?)$/.exec(line);
    if (attribute) {
      const fixed = escapeQuotes(attribute[2]);
      if (fixed !== attribute[2]) {
        escapedStrings++;
        return `${attribute[1]}"${fixed}"${attribute[3]}`;
      }
    }
    return line;
  });
  return { text: lines.join("\n"), escapedStrings, unquotedReferences };
}

/** Stack directories of an HCL synth output that hold a `cdk.tf`. */
export function hclStackDirs(outdir: string): string[] {
  const stacksDir = join(outdir, "stacks");
  return readdirSync(stacksDir)
    .sort()
    .map((name) => join(stacksDir, name))
    .filter((dir) => existsSync(join(dir, HCL_FILE)));
}

const LOCAL_BACKEND_PATH = /(backend\s+"local"\s*\{[^}]*?)(\n\s*)(path\s*=\s*")([^"]+)(")/;
const REBASED = "# rebased from";

/**
 * A stack's local backend path names the state relative to the stack's directory in a JSON
 * synth (`cdktf.out/stacks/<stack>` -> `terraform.<stack>.tfstate` in the project root). In an
 * HCL synth written elsewhere (`cdktf.out/hcl/stacks/<stack>`) the same relative path names
 * another file, so a plan there would see an empty state. Answers the HCL with the path
 * rewritten to name, from `stackDir`, the file it names from `jsonStackDir`, and that path
 * (`undefined` when the stack has no local backend). A comment above the path records the
 * original, which makes the rebase idempotent.
 */
export function rebaseLocalStatePath(
  hcl: string,
  jsonStackDir: string,
  stackDir: string,
): { readonly text: string; readonly statePath?: string } {
  const m = LOCAL_BACKEND_PATH.exec(hcl);
  if (!m) return { text: hcl };
  if (m[1].includes(REBASED)) return { text: hcl, statePath: m[4] };
  const statePath = relative(resolve(stackDir), resolve(jsonStackDir, m[4]));
  const note = `${REBASED} ${JSON.stringify(m[4])}, relative to the JSON synth's stack directory`;
  return {
    text: hcl.replace(LOCAL_BACKEND_PATH, `$1$2${note}$2$3${statePath}$5`),
    statePath,
  };
}

/** What `repairHclDir` did to one stack's `cdk.tf`. */
export interface HclDirRepair extends HclRepair {
  /** The local backend's state path after rebasing, when it was rebased. */
  readonly statePath?: string;
}

/**
 * Repairs every stack's `cdk.tf` in place; returns the repairs per stack directory. With
 * `jsonOutdir` (the JSON synth's output directory, `cdktf.out`), each local backend path is
 * rebased so the HCL names the same state file as the JSON synth does.
 */
export function repairHclDir(outdir: string, jsonOutdir?: string): Map<string, HclDirRepair> {
  const repairs = new Map<string, HclDirRepair>();
  for (const dir of hclStackDirs(outdir)) {
    const file = join(dir, HCL_FILE);
    const repair = repairCdktfHcl(readFileSync(file, "utf8"));
    const rebased =
      jsonOutdir === undefined
        ? { text: repair.text }
        : rebaseLocalStatePath(repair.text, join(jsonOutdir, "stacks", basename(dir)), dir);
    writeFileSync(file, rebased.text);
    repairs.set(dir, { ...repair, text: rebased.text, statePath: rebased.statePath });
  }
  return repairs;
}

/** `terraform validate -json` output. */
export interface ValidateResult {
  readonly valid: boolean;
  readonly error_count: number;
  readonly warning_count: number;
  readonly diagnostics: readonly { severity: string; summary: string; detail?: string }[];
}

/**
 * `terraform init -backend=false` (providers from the mirror in FANOUT_PROVIDER_MIRROR when
 * set) and `terraform validate -json` in one stack directory. No credentials, no network.
 */
export async function validateStackDir(
  dir: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ValidateResult> {
  const tfEnv = terraformEnv(dir, env);
  await runTerraform(["init", "-backend=false", "-input=false", "-no-color"], dir, tfEnv);
  // validate -json exits 1 on an invalid configuration but still prints its JSON.
  const out = await runTerraform(["validate", "-json", "-no-color"], dir, tfEnv, (stdout) =>
    stdout.trim().startsWith("{"),
  );
  return JSON.parse(out) as ValidateResult;
}
