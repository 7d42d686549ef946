/**
 * Input a new user gets wrong: misspelled names, prefixes that make odd names, regions the
 * provider does not know, retention the wrong way round, strings where cdktf.json needs a
 * number or a boolean. Each stops synth with one line.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { partition } from "@aws-sdk/core/client";
import fc from "fast-check";
import { ConfigError, loadConfig } from "../../config/config";
import {
  FUNCTION_VARIABLES,
  NON_SETTING_VARIABLES,
  TOOL_VARIABLES,
} from "../../config/environment";
import { AWS_PARTITIONS } from "../../config/regions";
import { contextType, parseSetting, type Setting, SETTINGS } from "../../config/settings";
import { cdktfJsonContext, PROJECT_ROOT } from "../../inspect/synth";
import { configErrorOf, errorOf } from "../support/config-error";
import { defaultConfig } from "../support/synth";

const settings: readonly Setting<unknown>[] = Object.values(SETTINGS);
const context = cdktfJsonContext() as Record<string, unknown>;

function expectOneLine(message: string, pattern: RegExp): void {
  expect(message).toMatch(pattern);
  expect(message).not.toContain("\n");
}

describe("unknown names", () => {
  it.each([
    ["FANOUT_BATCHSIZE", "FANOUT_BATCH_SIZE", "batchSize"],
    ["FANOUT_STACK_MAP", "FANOUT_STACKS", "stacks"],
    ["FANOUT_STATELOCKING", "FANOUT_STATE_LOCKING", "stateLocking"],
    ["FANOUT_STACK", "FANOUT_STACKS", "stacks"],
  ])("throws when the environment has %s, naming %s", (name, near, key) => {
    expectOneLine(
      errorOf({}, { [name]: "1" }),
      new RegExp(
        `^Unknown environment variable ${name}: .*did you mean ${near} \\(setting ${key}\\)\\?`,
      ),
    );
  });

  it("accepts the variables of the project's tools and tests", () => {
    const env = Object.fromEntries(Object.keys(TOOL_VARIABLES).map((n) => [n, "x"]));
    expect(defaultConfig(env).prefix).toBe("fanout");
  });

  it("refuses each variable of the deployed functions, which synth never reads", () => {
    for (const name of Object.keys(FUNCTION_VARIABLES)) {
      expectOneLine(
        errorOf({}, { [name]: "x" }),
        new RegExp(
          `^Unknown environment variable ${name}: the stacks set it on the deployed functions`,
        ),
      );
    }
  });

  it("lists exactly the FANOUT_ names the repository uses that are not settings", () => {
    const files = execFileSync("git", ["ls-files", "-co", "--exclude-standard"], {
      cwd: PROJECT_ROOT,
      encoding: "utf8",
    })
      .split("\n")
      // This file names misspelled variables on purpose.
      .filter((f) => f !== "" && f !== "__tests__/config/bad-input.test.ts");
    const used = new Set<string>();
    for (const file of files) {
      let text: string;
      try {
        text = readFileSync(join(PROJECT_ROOT, file), "utf8");
      } catch {
        continue; // deleted in the work tree
      }
      for (const m of text.matchAll(/(?<![A-Z0-9])FANOUT_[A-Z0-9_]*[A-Z0-9]/g)) used.add(m[0]);
    }
    const settingVariables = settings.map((s) => s.env);
    const others = [...used].filter((n) => !settingVariables.includes(n)).sort();
    expect(others).toEqual(Object.keys(NON_SETTING_VARIABLES).sort());
  });

  it.each(["fanuot", "Fanout", "fan-out", "fanout_"])(
    "throws when cdktf.json's context has %s instead of fanout",
    (key) => {
      const message = configErrorOf({ wholeContext: { [key]: { batchSize: 5 } } });
      expectOneLine(message, new RegExp(`^Unknown cdktf\\.json context key "${key}": .*"fanout"`));
    },
  );

  it("reads the whole context from CDKTF_CONTEXT_JSON, as the cdktf CLI hands it over", () => {
    const env = { CDKTF_CONTEXT_JSON: JSON.stringify({ fanuot: {}, cdktfRelativeModules: [] }) };
    expect(configErrorOf({ env })).toMatch(/^Unknown cdktf\.json context key "fanuot"/);
    const fine = { CDKTF_CONTEXT_JSON: JSON.stringify({ fanout: {}, cdktfRelativeModules: [] }) };
    expect(loadConfig({ env: fine }).prefix).toBe("fanout");
  });

  it("names the closest setting for an unknown key of context.fanout", () => {
    expectOneLine(
      errorOf({ retentionDays: 14 }),
      /^Unknown setting retentionDays in cdktf\.json context\.fanout; allowed: .*; did you mean logRetentionDays\?$/,
    );
  });
});

describe("prefix", () => {
  it.each(["", "-fanout", "fanout-", "fan--out"])("throws when the prefix is %j", (prefix) => {
    expectOneLine(
      errorOf({ prefix }),
      new RegExp(
        `^Invalid setting prefix \\(.*\\): ${JSON.stringify(prefix)} is (empty|not valid); allowed: `,
      ),
    );
  });

  it("accepts a prefix exactly when it is words of [a-z0-9] joined by single hyphens", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z0-9-]{0,8}$/), (prefix) => {
        const fine = /^[a-z]([a-z0-9]*|-[a-z0-9])*$/.test(prefix) && !prefix.endsWith("-");
        let accepted = true;
        try {
          defaultConfig({ FANOUT_PREFIX: prefix });
        } catch (error) {
          expect(error).toBeInstanceOf(ConfigError);
          accepted = false;
        }
        expect(accepted).toBe(fine);
      }),
      { numRuns: 300 },
    );
  });
});

describe("regions", () => {
  it("throws when a region is shaped right but unknown, naming the closest", () => {
    expectOneLine(
      errorOf({ stacks: { primary: "us-east-99", secondary: "us-west-2" } }),
      /^Invalid setting stacks \(.*\): .* has region "us-east-99" for stack "primary", which is not a region hashicorp\/aws 5\.100\.0 knows \(closest: us-east-1\); allowed: /,
    );
  });

  it("throws when the regions are in different partitions", () => {
    expectOneLine(
      errorOf({}, { FANOUT_STACKS: "gov=us-gov-west-1,china=cn-north-1" }),
      /^Invalid setting stacks \(env FANOUT_STACKS\): .* mixes partitions: "us-gov-west-1" \(stack "gov"\) is in aws-us-gov, "cn-north-1" \(stack "china"\) in aws-cn; allowed: /,
    );
  });

  it("accepts two regions of one other partition", () => {
    const config = defaultConfig({ FANOUT_STACKS: "east=us-gov-east-1,west=us-gov-west-1" });
    expect(config.regions).toEqual(["us-gov-east-1", "us-gov-west-1"]);
  });

  it("throws when the state bucket's region is unknown or in another partition", () => {
    expectOneLine(
      errorOf({ stateRegion: "eu-west-9" }),
      /^Invalid setting stateRegion \(.*\): "eu-west-9" is not a region hashicorp\/aws 5\.100\.0 knows \(closest: eu-west-1\); allowed: /,
    );
    expectOneLine(
      errorOf({ stateRegion: "cn-north-1" }),
      /^Invalid setting stateRegion \(.*\): "cn-north-1" is in partition aws-cn, the stacks' regions in aws; allowed: a region of partition aws/,
    );
  });

  it.each(Object.entries(AWS_PARTITIONS))(
    "has the regions of partition %s where the AWS SDK's partitions data puts them",
    (id, regions) => {
      for (const region of regions) expect([region, partition(region).name]).toEqual([region, id]);
    },
  );
});

describe("combinations", () => {
  it("throws when replicas keep messages for less time than the active queue", () => {
    expectOneLine(
      errorOf({ activeRetentionSeconds: 86400, replicaRetentionSeconds: 3600 }),
      /^Invalid setting replicaRetentionSeconds \(cdktf\.json context\.fanout\.replicaRetentionSeconds\): 3600 is shorter than activeRetentionSeconds 86400 \(cdktf\.json context\.fanout\.activeRetentionSeconds\).*; allowed: at least 86400$/,
    );
  });

  it("blames a long stack name on stacks, not on the default prefix", () => {
    const stack = "a-rather-long-stack-name-for-a-region";
    expectOneLine(
      errorOf({ stacks: { [stack]: "us-east-1", secondary: "us-west-2" } }),
      new RegExp(
        `^Invalid setting stacks \\(cdktf\\.json context\\.fanout\\.stacks\\): stack "${stack}" in us-east-1 with prefix "fanout" makes Lambda function name "fanout-${stack}-replica-us-west-2-consumer" is \\d+ characters; allowed: at most 64$`,
      ),
    );
  });
});

describe("one typing rule for every setting", () => {
  /** A JSON value of each type, none of which is a valid value of a different type. */
  const jsonValues = fc.oneof(
    fc.integer().map((n) => ["number", n] as const),
    fc.boolean().map((b) => ["boolean", b] as const),
    fc.string().map((t) => ["string", t] as const),
    fc.constant(["object", { primary: "us-east-1", secondary: "us-west-2" }] as const),
    fc.constant(["array", ["us-east-1"]] as const),
    fc.constant(["null", null] as const),
  );

  it("refuses a cdktf.json value of another JSON type than the setting's, in one line", () => {
    fc.assert(
      fc.property(fc.constantFrom(...settings), jsonValues, (setting, [type, value]) => {
        fc.pre(type !== contextType(setting));
        const raw = { value, from: `cdktf.json context.fanout.${setting.key}`, fromEnv: false };
        expect(() => parseSetting(setting, raw)).toThrow(ConfigError);
        try {
          parseSetting(setting, raw);
        } catch (error) {
          expectOneLine(
            (error as Error).message,
            new RegExp(
              `^Invalid setting ${setting.key} \\(.*\\): .* is not an? ${contextType(setting)} \\(cdktf\\.json takes a JSON ${contextType(setting)}; strings only from ${setting.env}\\); allowed: `,
            ),
          );
        }
      }),
      { numRuns: 400 },
    );
  });

  it("takes every default from cdktf.json as it is and from the environment as a string", () => {
    for (const setting of settings) {
      const value = context[setting.key];
      const fromJson = parseSetting(setting, { value, from: "cdktf.json", fromEnv: false });
      expect(fromJson).toEqual(setting.default);
      const text =
        typeof value === "object"
          ? Object.entries(value as object)
              .map(([k, v]) => `${k}=${v}`)
              .join(",")
          : String(value);
      expect(parseSetting(setting, { value: text, from: "env", fromEnv: true })).toEqual(
        setting.default,
      );
    }
  });

  it('throws when stateLocking is the string "true" in cdktf.json, and takes it from the environment', () => {
    expectOneLine(
      errorOf({ stateLocking: "true" }),
      /^Invalid setting stateLocking \(cdktf\.json context\.fanout\.stateLocking\): "true" is not a boolean \(cdktf\.json takes a JSON boolean; strings only from FANOUT_STATE_LOCKING\); allowed: true or false$/,
    );
    const config = defaultConfig({ FANOUT_STATE_BUCKET: "state", FANOUT_STATE_LOCKING: "false" });
    expect(config.backend).toMatchObject({ locking: false });
  });
});
