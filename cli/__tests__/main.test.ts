import { spawnSync } from "node:child_process";
import { join } from "node:path";

// One real process, to check the entry point's wiring (streams, exit code); everything else
// runs in-process through runCli, which is much faster than starting ts-node.
describe("cli/main.ts", () => {
  it("exits 2 with one line on stderr for bad input", () => {
    const root = join(__dirname, "..", "..");
    const result = spawnSync(
      process.execPath,
      [
        "-r",
        "ts-node/register/transpile-only",
        "cli/main.ts",
        "status",
        "--outputs",
        "no-such-outputs.json",
      ],
      { cwd: root, encoding: "utf8", timeout: 60_000 },
    );
    expect(result.stderr.trim().split("\n")).toEqual([
      "error: outputs file no-such-outputs.json not found; write it with: npx cdktf deploy --outputs-file no-such-outputs.json <stacks...>, or pass --outputs <file>",
    ]);
    expect(result.stdout).toBe("");
    expect(result.status).toBe(2);
  }, 60_000);
});
