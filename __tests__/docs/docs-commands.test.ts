/**
 * Every `npm run <script>` and `npx cdktf <verb>` that the docs, the README and `help` tell
 * people to type names a script that exists and a cdktf verb that does; every doc is linked
 * from the README.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { PROJECT_ROOT } from "../../inspect/synth";

/** cdktf CLI verbs the docs may use. */
const CDKTF_VERBS: readonly string[] = ["synth", "deploy", "destroy", "diff", "get", "output"];

const scripts = Object.keys(
  (
    JSON.parse(readFileSync(join(PROJECT_ROOT, "package.json"), "utf8")) as {
      scripts: Record<string, string>;
    }
  ).scripts,
);

const DOCS = join(PROJECT_ROOT, "docs");
const docFiles = readdirSync(DOCS)
  .filter((f) => f.endsWith(".md"))
  .sort();

/** The shell lines of a Markdown text's fenced code blocks, continuation lines joined. */
function fencedLines(markdown: string): string[] {
  const lines: string[] = [];
  for (const m of markdown.matchAll(/^ *```[\w-]*\n([\s\S]*?)^ *```$/gm)) {
    lines.push(...m[1].replace(/\s*\\\n\s*/g, " ").split("\n"));
  }
  return lines.map((l) => l.trim()).filter((l) => l !== "");
}

/** Commands of one shell line: split at `&&`, `||`, `;` and `|`, comments and env prefixes gone. */
function commandsOf(line: string): string[] {
  return line
    .replace(/(^|\s)#.*$/, "")
    .split(/&&|\|\||;|\|/)
    .map((c) => c.trim().replace(/^(?:[A-Z_][A-Z0-9_]*=\S*\s+)+/, ""))
    .filter((c) => c !== "");
}

interface Use {
  readonly where: string;
  readonly command: string;
}

function uses(where: string, lines: readonly string[]): Use[] {
  return lines.flatMap((line) => commandsOf(line).map((command) => ({ where, command })));
}

const sources: Use[] = [
  ...docFiles.flatMap((f) => uses(`docs/${f}`, fencedLines(readFileSync(join(DOCS, f), "utf8")))),
  ...uses("README.md", fencedLines(readFileSync(join(PROJECT_ROOT, "README.md"), "utf8"))),
  // `help` is plain text: its commands start the indented lines.
  ...uses(
    "help",
    readFileSync(join(PROJECT_ROOT, "help"), "utf8")
      .split("\n")
      .map((l) => l.trim().split(/\s{2,}/)[0]),
  ),
];

/** Commands that name a missing npm script or an unknown cdktf verb. */
function unknownCommands(list: readonly Use[]): string[] {
  const out: string[] = [];
  for (const { where, command } of list) {
    const [tool, verb, name] = command.split(/\s+/);
    if (tool === "npm" && verb === "run" && !scripts.includes(name)) {
      out.push(`${where}: ${command}: no npm script ${name}`);
    }
    if (tool === "npx" && verb === "cdktf" && !CDKTF_VERBS.includes(name)) {
      out.push(`${where}: ${command}: cdktf has no verb ${name}`);
    }
  }
  return out;
}

describe("commands in the docs, the README and help", () => {
  it("are found (the extraction works)", () => {
    expect(sources.filter((u) => /^npm run /.test(u.command)).length).toBeGreaterThan(10);
    expect(sources.filter((u) => /^npx cdktf /.test(u.command)).length).toBeGreaterThan(5);
    expect(new Set(sources.map((u) => u.where))).toEqual(
      new Set([...docFiles.map((f) => `docs/${f}`), "README.md", "help"]),
    );
  });

  it("name npm scripts that exist and cdktf verbs that exist", () => {
    expect(unknownCommands(sources)).toEqual([]);
  });

  it("flags a missing npm script and an unknown cdktf verb", () => {
    const md =
      "```sh\nnpm run synth && npm run nope\nnpx cdktf plan primary\nnpx cdktf diff\n```\n";
    expect(unknownCommands(uses("x.md", fencedLines(md)))).toEqual([
      "x.md: npm run nope: no npm script nope",
      "x.md: npx cdktf plan primary: cdktf has no verb plan",
    ]);
  });
});

describe("the extraction", () => {
  it("finds a command behind env, chaining and a comment", () => {
    const md = "text\n```sh\nX=1 npm ci && npm run nope -- --x   # comment\n```\n";
    expect(fencedLines(md).flatMap(commandsOf)).toEqual(["npm ci", "npm run nope -- --x"]);
  });

  it("joins continuation lines and reads indented blocks", () => {
    const md = "- item\n\n  ```sh\n  npx cdktf deploy primary \\\n    --auto-approve\n  ```\n";
    expect(fencedLines(md)).toEqual(["npx cdktf deploy primary --auto-approve"]);
  });
});

describe("the docs", () => {
  it("are the ones the README links to", () => {
    expect(docFiles).toEqual([
      "architecture.md",
      "cdktf-exit.md",
      "configuration.md",
      "deploy.md",
      "development.md",
      "failover-runbook.md",
      "latency.md",
      "local.md",
      "operations.md",
      "producer-api.md",
    ]);
    const readme = readFileSync(join(PROJECT_ROOT, "README.md"), "utf8");
    for (const f of docFiles) expect(readme).toContain(`(docs/${f})`);
  });

  it("link only to docs that exist", () => {
    for (const f of docFiles) {
      const text = readFileSync(join(DOCS, f), "utf8");
      for (const m of text.matchAll(/\]\(([\w-]+\.md)(#[\w-]+)?\)/g)) {
        expect(docFiles).toContain(m[1]);
      }
    }
  });
});
