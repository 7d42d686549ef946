/**
 * Mermaid's own parser: `review/mermaid-parse.mjs` in a child process (mermaid is an ES module
 * and needs a DOM shim, neither of which suits the jest process). mermaid and jsdom are
 * devDependencies; where they are missing (a production install), `mermaidParserUnavailable()`
 * says so and `mermaidProblems` falls back to `flowchartProblems`, a structural check of the
 * flowchart subset `mermaid.ts` writes.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { PROJECT_ROOT } from "../inspect/synth";
import { EDGE_LABEL, MERMAID_RESERVED } from "./mermaid";

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

const OPENERS: readonly (readonly [string, string])[] = [
  ["([", "])"],
  ["[(", ")]"],
  ["[[", "]]"],
  ["((", "))"],
  ["{{", "}}"],
  ["[/", "/]"],
  ["[", "]"],
  ["(", ")"],
  ["{", "}"],
  [">", "]"],
];
const ID = "[A-Za-z][A-Za-z0-9_]*";
const ARROW = "(?:-->|-\\.->|==>|---)";

/**
 * Problems of a flowchart in the subset this module writes (an empty list means well-formed):
 * a `flowchart <direction>` header; node declarations `id<shape>"label"<shape>`; subgraphs
 * `subgraph id["label"]` closed by `end`; edges `a --> b` or `a -->|label| b`. Every id safe and
 * declared once, every edge endpoint declared, every subgraph closed.
 */
export function flowchartProblems(text: string): string[] {
  const problems: string[] = [];
  const declared = new Map<string, number>();
  const edges: { from: string; to: string; line: number }[] = [];
  const open: { id: string; line: number }[] = [];
  const lines = text.split("\n");
  if (!/^flowchart (LR|RL|TB|TD|BT)$/.test(lines[0] ?? "")) {
    problems.push(`line 1: expected "flowchart <direction>", got ${JSON.stringify(lines[0])}`);
  }
  const declare = (id: string, line: number) => {
    if (MERMAID_RESERVED.includes(id)) problems.push(`line ${line}: id "${id}" is a keyword`);
    if (declared.has(id)) {
      problems.push(`line ${line}: "${id}" declared again (first on line ${declared.get(id)})`);
    } else {
      declared.set(id, line);
    }
  };
  const quoted = (inner: string, line: number) => {
    if (!/^"[^"]*"$/.test(inner))
      problems.push(`line ${line}: label ${inner} is not one quoted string`);
  };
  lines.slice(1).forEach((raw, i) => {
    const n = i + 2;
    const line = raw.trim();
    if (line === "" || line.startsWith("%%")) return;
    if (line === "end") {
      if (!open.pop()) problems.push(`line ${n}: "end" closes no subgraph`);
      return;
    }
    const sub = new RegExp(`^subgraph (${ID})\\[(.*)\\]$`).exec(line);
    if (sub) {
      declare(sub[1], n);
      quoted(sub[2], n);
      open.push({ id: sub[1], line: n });
      return;
    }
    const edge = new RegExp(`^(${ID}) ${ARROW}(?:\\|([^|]*)\\|)? (${ID})$`).exec(line);
    if (edge) {
      if (edge[2] !== undefined && !EDGE_LABEL.test(edge[2])) {
        problems.push(`line ${n}: edge label ${JSON.stringify(edge[2])} has unsafe characters`);
      }
      edges.push({ from: edge[1], to: edge[3], line: n });
      return;
    }
    const node = new RegExp(`^(${ID})(.*)$`).exec(line);
    const shape = node && OPENERS.find(([o, c]) => node[2].startsWith(o) && node[2].endsWith(c));
    if (node && shape) {
      declare(node[1], n);
      quoted(node[2].slice(shape[0].length, node[2].length - shape[1].length), n);
      return;
    }
    problems.push(`line ${n}: not a node, edge or subgraph line: ${JSON.stringify(line)}`);
  });
  for (const s of open) problems.push(`line ${s.line}: subgraph "${s.id}" is never closed`);
  for (const e of edges) {
    for (const end of [e.from, e.to]) {
      if (!declared.has(end))
        problems.push(`line ${e.line}: edge endpoint "${end}" is not declared`);
    }
  }
  return problems;
}

/**
 * Problems of Mermaid diagrams: the structural check of each, and Mermaid's own parser where it
 * is installed. An empty list means every diagram is well-formed.
 */
export function mermaidProblems(diagrams: readonly string[]): string[] {
  const problems = diagrams.flatMap(flowchartProblems);
  if (mermaidParserUnavailable() === undefined) {
    problems.push(...diagrams.map(mermaidParseError).filter((e): e is string => e !== undefined));
  }
  return problems;
}
