/**
 * A synth leaves nothing in the system's temporary directory: the Lambda deployment packages
 * are written inside the synth output and go with it.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { PACKAGES_DIR } from "../../constructs/nodejs-function";
import { synthesize } from "../../inspect/synth";
import { defaultConfig } from "../support/synth";

/** While set, the temporary directory every module of this test file sees. */
let mockTmpdir: string | undefined;

function osWithWatchedTmpdir(): object {
  const actual = jest.requireActual<typeof import("node:os")>("node:os");
  return { ...actual, tmpdir: () => mockTmpdir ?? actual.tmpdir() };
}
jest.mock("node:os", osWithWatchedTmpdir);
jest.mock("os", osWithWatchedTmpdir);

describe("synth", () => {
  const scratch = mkdtempSync(join(jest.requireActual("node:os").tmpdir(), "synth-temp-test-"));

  afterAll(() => {
    mockTmpdir = undefined;
    rmSync(scratch, { recursive: true, force: true });
  });

  it("leaves no new entry in os.tmpdir(), the packages inside its output", () => {
    const watched = join(scratch, "tmp");
    mkdirSync(watched);
    mockTmpdir = watched;
    const outdir = join(scratch, "out");
    synthesize(defaultConfig(), outdir);
    expect(readdirSync(watched)).toEqual([]);
    expect(readdirSync(join(outdir, PACKAGES_DIR)).sort()).toEqual([
      "consumer.zip",
      "producer-api.zip",
    ]);
  });
});
