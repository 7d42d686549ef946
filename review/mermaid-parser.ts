/**
 * Mermaid's own parser: `review/mermaid-parse.mjs` in a child process (mermaid is an ES module
 * and needs a DOM shim, neither of which suits the jest process). mermaid and jsdom are
 * devDependencies; where they are missing (a production install), `mermaidParserUnavailable()`
 * says so and callers fall back to the structural check of `flowchartProblems`.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { PROJECT_ROOT } from "../verify/synth";

/** Packages the parser needs, as devDependencies. */
export const MERMAID_PACKAGES = ["mermaid", "jsdom"] as const;

const SCRIPT = join(PROJECT_ROOT, "review", "mermaid-parse.mjs");

/** Why Mermaid's parser cannot run here, or `undefined` when it can. */
export function mermaidParserUnavailable(): string | undefined {
  const missing = MERMAID_PACKAGES.filter((name) => {
    try {
      require.resolve(`${name}/package.json`, { paths: [PROJECT_ROOT] });
      return false;
    } catch {
      return true;
    }
  });
  return missing.length === 0
    ? undefined
    : `package(s) ${missing.join(", ")} not installed (devDependencies)`;
}

/** Parses one diagram with Mermaid: `undefined` when it parses, else the parser's message. */
export function mermaidParseError(text: string): string | undefined {
  const result = spawnSync(process.execPath, [SCRIPT], {
    input: text,
    encoding: "utf8",
    cwd: PROJECT_ROOT,
    timeout: 60_000,
  });
  if (result.error) return result.error.message;
  return result.status === 0 ? undefined : (result.stderr || result.stdout).trim();
}
