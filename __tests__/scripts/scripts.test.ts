/**
 * The `npm run` scripts end in one line on bad input: no Terraform dump, no stack trace.
 * Their main functions run in-process, as `runScript` runs them.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError } from "../../config/config";
import { PROJECT_ROOT, readCdktfJson } from "../../inspect/synth";
import { main as benchSynth } from "../../scripts/bench-synth";
import { main as check, USAGE as CHECK_USAGE } from "../../scripts/check";
import { main as plan, USAGE as PLAN_USAGE } from "../../scripts/plan";
import { failureLine, runScript } from "../../scripts/script-run";
import { MIRROR_ENV, MIRROR_REMEDY } from "../../verify/provider-source";

let scratch: string;
let logged: string[];
let errors: string[];

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), "scripts-test-"));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
beforeEach(() => {
  logged = [];
  errors = [];
  jest.spyOn(console, "log").mockImplementation((line: string) => void logged.push(line));
  jest.spyOn(console, "error").mockImplementation((line: string) => void errors.push(line));
});
afterEach(() => jest.restoreAllMocks());

const noRegistry = (): Promise<boolean> => {
  throw new Error("the registry must not be asked");
};

describe("npm run plan", () => {
  it("prints its usage for --help, and plans nothing", async () => {
    expect(await plan(["--help"], {}, noRegistry)).toBe(0);
    expect(logged).toEqual([PLAN_USAGE]);
  });

  it("refuses an unknown argument with its usage", async () => {
    expect(await plan(["--stacks"], {}, noRegistry)).toBe(2);
    expect(errors).toEqual([`Cannot plan: unknown argument --stacks; ${PLAN_USAGE}`]);
  });

  it("says in one line that a mirror path does not exist, and how to get one", async () => {
    expect(await plan([], { [MIRROR_ENV]: "/nope" }, noRegistry)).toBe(1);
    expect(errors).toEqual([
      `Cannot plan: ${MIRROR_ENV}=/nope does not exist. To plan: ${MIRROR_REMEDY}.`,
    ]);
  });

  it("says in one line that there is no mirror and no registry, and how to get one", async () => {
    const home = join(scratch, "empty-home");
    mkdirSync(home, { recursive: true });
    const env = {
      HOME: home,
      TF_CLI_CONFIG_FILE: join(home, "none.tfrc"),
      XDG_DATA_HOME: home,
      XDG_DATA_DIRS: home,
    };
    expect(await plan([], env, async () => false)).toBe(1);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      new RegExp(
        `^Cannot plan: ${MIRROR_ENV} is not set .*, and the registry does not answer\\. To plan: `,
      ),
    );
  });

  it("makes one line of a failed Terraform run: what failed and Terraform's error", () => {
    const error = new Error(
      "terraform init failed in /x/stacks/primary:\n\nError: Failed to query available provider packages\n\nCould not retrieve the list of available versions...\n",
    );
    expect(failureLine(error)).toBe(
      "terraform init failed in /x/stacks/primary: Error: Failed to query available provider packages",
    );
  });
});

describe("npm run check", () => {
  it("ends with one line and exit code 1 for a missing --out directory", async () => {
    const missing = join(scratch, "missing");
    const before = process.exitCode;
    try {
      await runScript(true, () => check(["--out", missing]));
      expect(process.exitCode).toBe(1);
    } finally {
      process.exitCode = before;
    }
    expect(errors).toEqual([
      `${missing} does not exist; give a cdktf synth output (npm run synth writes cdktf.out)`,
    ]);
  });

  it("throws one line for an empty --out directory", () => {
    const empty = join(scratch, "empty");
    mkdirSync(empty, { recursive: true });
    expect(() => check(["--out", empty])).toThrow(
      `${empty} holds no stacks/ directory; is it a cdktf synth output? (npm run synth writes cdktf.out)`,
    );
  });

  it("refuses --out without a directory with its usage", () => {
    expect(check(["--out"])).toBe(2);
    expect(errors).toEqual([`--out needs a directory; ${CHECK_USAGE}`]);
  });
});

describe("cdktf.json", () => {
  it("throws one line naming cdktf.json and the position of a syntax error", () => {
    const root = join(scratch, "bad-json");
    mkdirSync(root, { recursive: true });
    writeFileSync(
      join(root, "cdktf.json"),
      '{\n  "context": {\n    "fanout": { "prefix" "x" }\n  }\n}\n',
    );
    let message = "";
    try {
      readCdktfJson(root);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      message = (error as Error).message;
    }
    expect(message).toMatch(
      /^Invalid cdktf\.json \(.*cdktf\.json\): .* \(line 3, column 2\d\); allowed: JSON/,
    );
    expect(message).not.toContain("\n");
  });
});

describe("npm run bench:synth", () => {
  it("stops on a bad setting with its one line, before timing anything", () => {
    expect(() => benchSynth([], { FANOUT_BATCH_SIZE: "ten" })).toThrow(
      /^Invalid setting batchSize \(env FANOUT_BATCH_SIZE\): "ten" is not a whole number/,
    );
    expect(existsSync(join(PROJECT_ROOT, ".bench"))).toBe(false);
  });
});
