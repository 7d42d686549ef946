import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  BUNDLE_FILE,
  PROJECT_ROOT,
  SOURCE_MAP_FILE,
  bundleLambda,
  clearBundleCache,
  packageLambda,
  stableSourcePath,
} from "../../constructs/bundling";
import { unzipSync } from "fflate";
import { consumerEnvironment } from "../../lambdas/consumer/env";

const CONSUMER = "lambdas/consumer/index.ts";
const MAX_CONSUMER_BYTES = 60 * 1024;
const IDEMPOTENT_CONSUMER = "lambdas/consumer/idempotent.ts";
/** Powertools idempotency and JMESPath add about 40 KiB; the DynamoDB client stays external. */
const MAX_IDEMPOTENT_CONSUMER_BYTES = 100 * 1024;

let scratch: string;
const dir = (name: string) => path.join(scratch, name);
const read = (outdir: string, file: string) => fs.readFileSync(path.join(outdir, file));

beforeAll(() => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), "bundling-test-"));
});

afterAll(() => {
  fs.rmSync(scratch, { recursive: true, force: true });
});

beforeEach(() => clearBundleCache());

/** A minimal project: files relative to its root, written under scratch. */
function project(name: string, files: Record<string, string>): string {
  const root = dir(name);
  for (const [file, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), text);
  }
  return root;
}

/** Copies what bundling the consumer reads into another checkout path. */
function checkoutCopy(name: string, linkNodeModules: boolean): string {
  const root = dir(name);
  fs.mkdirSync(root, { recursive: true });
  for (const entry of ["lambdas", "tsconfig.json", "package.json"]) {
    fs.cpSync(path.join(PROJECT_ROOT, entry), path.join(root, entry), { recursive: true });
  }
  const modules = fs.realpathSync(path.join(PROJECT_ROOT, "node_modules"));
  if (linkNodeModules) {
    fs.symlinkSync(modules, path.join(root, "node_modules"), "dir");
  } else {
    for (const pkg of ["@aws-lambda-powertools", "@aws/lambda-invoke-store"]) {
      fs.cpSync(path.join(modules, pkg), path.join(root, "node_modules", pkg), {
        recursive: true,
        dereference: true,
      });
    }
  }
  return root;
}

describe("bundleLambda on the consumer", () => {
  let outdir: string;
  let result: ReturnType<typeof bundleLambda>;

  beforeAll(() => {
    outdir = dir("consumer");
    result = bundleLambda({ entry: CONSUMER, outdir });
  });

  it("writes a minified CommonJS index.js within budget, linked to its source map", () => {
    expect(fs.readdirSync(outdir).sort()).toEqual([BUNDLE_FILE, SOURCE_MAP_FILE]);
    const code = read(outdir, BUNDLE_FILE).toString();
    expect(result).toMatchObject({ outdir, bytes: Buffer.byteLength(code) });
    expect(result.bytes).toBeLessThanOrEqual(MAX_CONSUMER_BYTES);
    expect(code.startsWith('"use strict";')).toBe(true);
    // Minified: no indentation, no comments but the source-map link (newlines only in strings).
    expect(code).not.toMatch(/^[ \t]/m);
    expect(code.match(/\/\/[#@ ]/g)).toEqual(["//#"]);
    expect(code.trimEnd().endsWith(`//# sourceMappingURL=${SOURCE_MAP_FILE}`)).toBe(true);
  });

  it("is byte-identical when bundled again into another directory", () => {
    const again = bundleLambda({ entry: CONSUMER, outdir: dir("consumer-again"), cache: false });
    expect(again.sha256).toBe(result.sha256);
    expect(read(again.outdir, BUNDLE_FILE).equals(read(outdir, BUNDLE_FILE))).toBe(true);
    expect(read(again.outdir, SOURCE_MAP_FILE).equals(read(outdir, SOURCE_MAP_FILE))).toBe(true);
  });

  it.each([
    ["a symlinked node_modules", true],
    ["a real node_modules", false],
  ])("is byte-identical from another checkout path with %s", (_name, link) => {
    const root = checkoutCopy(`checkout-${link ? "link" : "copy"}`, link);
    const other = bundleLambda({ entry: CONSUMER, outdir: dir(`out-${link}`), projectRoot: root });
    expect(read(other.outdir, BUNDLE_FILE).equals(read(outdir, BUNDLE_FILE))).toBe(true);
    expect(read(other.outdir, SOURCE_MAP_FILE).equals(read(outdir, SOURCE_MAP_FILE))).toBe(true);
  });

  it("names sources relative to the project root and writes no absolute path", () => {
    const map = JSON.parse(read(outdir, SOURCE_MAP_FILE).toString()) as {
      sources: string[];
      sourcesContent?: unknown;
    };
    expect(map.sources).toContain("lambdas/consumer/handler.ts");
    expect(map.sources).toContain("lambdas/shared/metrics.ts");
    for (const source of map.sources) {
      expect(source).toMatch(/^(lambdas|node_modules)\//);
    }
    expect(map.sourcesContent).toBeUndefined();
    const both = read(outdir, BUNDLE_FILE).toString() + read(outdir, SOURCE_MAP_FILE).toString();
    for (const local of [PROJECT_ROOT, fs.realpathSync(PROJECT_ROOT), os.tmpdir(), os.homedir()]) {
      expect(both).not.toContain(local);
    }
    expect(both).not.toContain(fs.realpathSync(path.join(PROJECT_ROOT, "node_modules")));
  });

  it("runs: the bundled handler answers a fixture event in a fresh node process", () => {
    const fixture = path.join(
      PROJECT_ROOT,
      "lambdas/consumer/__tests__/fixtures/sqs-sns-envelope.json",
    );
    const script = `
      const { handler } = require(${JSON.stringify(path.join(outdir, BUNDLE_FILE))});
      const event = require(${JSON.stringify(fixture)});
      event.Records.push({ ...event.Records[0], messageId: "bad", body: "not json" });
      handler(event, undefined, () => {}).then((response) => {
        console.log("RESPONSE " + JSON.stringify(response));
        return handler({}, undefined, () => {});
      }).catch((error) => console.log("STACK " + JSON.stringify(error.stack)));
    `;
    const env = {
      PATH: process.env.PATH,
      ...consumerEnvironment({ unitName: "fanout-primary", stack: "primary", role: "replica" }),
    };
    const stdout = execFileSync(process.execPath, ["--enable-source-maps", "-e", script], {
      env,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
    const line = (prefix: string) =>
      JSON.parse(
        stdout
          .split("\n")
          .find((text) => text.startsWith(prefix))
          ?.slice(prefix.length) ?? "null",
      ) as unknown;
    expect(line("RESPONSE ")).toEqual({ batchItemFailures: [{ itemIdentifier: "bad" }] });
    const emf = stdout
      .split("\n")
      .filter((text) => text.startsWith('{"_aws"'))
      .map((text) => JSON.parse(text) as Record<string, unknown>);
    expect(emf).toContainEqual(
      expect.objectContaining({
        service: "fanout-primary",
        Role: "replica",
        EndToEndLatency: expect.any(Array),
      }),
    );
    // Source maps work: the stack of an invalid event points into the TypeScript sources.
    expect(line("STACK ")).toMatch(/lambdas\/consumer\/handler\.ts:\d+/);
  });
});

describe("bundled consumer init", () => {
  it("refuses to start with one line naming the missing variable", () => {
    const outdir = dir("consumer-init");
    bundleLambda({ entry: CONSUMER, outdir });
    const env = consumerEnvironment({
      unitName: "fanout-primary",
      stack: "primary",
      role: "active",
    });
    delete env.FANOUT_QUEUE_ROLE;
    const child = spawnSync(
      process.execPath,
      ["-e", `require(${JSON.stringify(path.join(outdir, BUNDLE_FILE))})`],
      {
        env: { PATH: process.env.PATH, ...env },
        encoding: "utf8",
      },
    );
    expect(child.status).not.toBe(0);
    expect(child.stderr).toContain("Error: Missing environment variable FANOUT_QUEUE_ROLE\n");
  });
});

describe("bundleLambda on the consumer with the idempotency store", () => {
  let outdir: string;
  let code: string;

  beforeAll(() => {
    outdir = dir("idempotent-consumer");
    const result = bundleLambda({ entry: IDEMPOTENT_CONSUMER, outdir });
    code = read(outdir, BUNDLE_FILE).toString();
    expect(result.bytes).toBeLessThanOrEqual(MAX_IDEMPOTENT_CONSUMER_BYTES);
  });

  it("leaves the DynamoDB client to the runtime, and the plain consumer without it", () => {
    expect(code).toContain('require("@aws-sdk/client-dynamodb")');
    const plain = dir("plain-consumer");
    bundleLambda({ entry: CONSUMER, outdir: plain });
    expect(read(plain, BUNDLE_FILE).toString()).not.toContain("@aws-sdk/client-dynamodb");
  });

  it("runs, and reaches DynamoDB through AWS_ENDPOINT_URL (here refused: the record fails)", () => {
    const body = JSON.stringify({
      Type: "Notification",
      MessageId: "m-1",
      TopicArn: "arn:aws:sns:us-east-1:123456789012:fanout-primary-topic",
      Message: JSON.stringify({ recorded_at: Date.now() - 100 }),
      Timestamp: new Date(Date.now() - 80).toISOString(),
    });
    const attributes = {
      SentTimestamp: String(Date.now() - 70),
      ApproximateFirstReceiveTimestamp: String(Date.now() - 60),
    };
    const event = {
      Records: [
        { messageId: "good", body, attributes },
        { messageId: "bad", body: "not json", attributes },
      ],
    };
    const script = `
      const { handler } = require(${JSON.stringify(path.join(outdir, BUNDLE_FILE))});
      handler(${JSON.stringify(event)}, undefined, () => {}).then((response) => {
        console.log("RESPONSE " + JSON.stringify(response));
      });
    `;
    const env = {
      PATH: process.env.PATH,
      // Where the local runtime, too, resolves the modules bundles leave external.
      NODE_PATH: path.join(PROJECT_ROOT, "node_modules"),
      AWS_REGION: "us-east-1",
      AWS_ENDPOINT_URL: "http://127.0.0.1:1",
      AWS_ACCESS_KEY_ID: "local",
      AWS_SECRET_ACCESS_KEY: "local",
      AWS_MAX_ATTEMPTS: "1",
      ...consumerEnvironment({
        unitName: "fanout-primary",
        stack: "primary",
        role: "active",
        idempotency: { tableName: "fanout-primary-idempotency", expiresAfterSeconds: 60 },
      }),
    };
    const child = spawnSync(process.execPath, ["-e", script], { env, encoding: "utf8" });
    const response = child.stdout.split("\n").find((l) => l.startsWith("RESPONSE "));
    const answer = JSON.parse(response?.slice("RESPONSE ".length) ?? "null") as {
      batchItemFailures: { itemIdentifier: string }[];
    };
    expect(answer.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(["bad", "good"]);
    expect(child.stdout + child.stderr).toMatch(/idempotency store: .*[\s\S]*127\.0\.0\.1:1/);
  });
});

describe("bundleLambda", () => {
  it("keeps @aws-sdk external: the runtime ships SDK v3", () => {
    const root = project("sdk", {
      "entry.ts":
        'import { SQSClient } from "@aws-sdk/client-sqs";\n' +
        "export const handler = async () => new SQSClient({}).config.region();\n",
    });
    const result = bundleLambda({ entry: "entry.ts", outdir: dir("sdk-out"), projectRoot: root });
    const code = read(result.outdir, BUNDLE_FILE).toString();
    expect(code).toContain('require("@aws-sdk/client-sqs")');
    expect(result.bytes).toBeLessThan(1024);
  });

  it("bundles each entry once per process unless told not to cache", () => {
    const root = project("cache", { "entry.ts": "export const handler = () => 1;\n" });
    const first = bundleLambda({ entry: "entry.ts", outdir: dir("cache-1"), projectRoot: root });
    fs.writeFileSync(path.join(root, "entry.ts"), "export const handler = () => 2;\n");
    const cached = bundleLambda({ entry: "entry.ts", outdir: dir("cache-2"), projectRoot: root });
    const fresh = bundleLambda({
      entry: "entry.ts",
      outdir: dir("cache-3"),
      projectRoot: root,
      cache: false,
    });
    expect(cached.sha256).toBe(first.sha256);
    expect(read(cached.outdir, BUNDLE_FILE).equals(read(first.outdir, BUNDLE_FILE))).toBe(true);
    expect(fresh.sha256).not.toBe(first.sha256);
  });

  it("throws when the output directory holds other files", () => {
    const outdir = dir("crowded");
    fs.mkdirSync(outdir, { recursive: true });
    fs.writeFileSync(path.join(outdir, "stale.js"), "");
    expect(() => bundleLambda({ entry: CONSUMER, outdir })).toThrow(
      `Bundle directory ${outdir} holds other files (stale.js); give bundleLambda a directory of its own`,
    );
  });

  it("throws one line naming the entry when it does not build", () => {
    const root = project("broken", {
      "entry.ts": 'import { x } from "./missing";\nexport const y = x;\n',
    });
    expect(() =>
      bundleLambda({ entry: "entry.ts", outdir: dir("broken-out"), projectRoot: root }),
    ).toThrow(/^Bundling entry\.ts failed: Could not resolve "\.\/missing" \(entry\.ts:1\)$/);
  });
});

describe("packageLambda", () => {
  it("writes the same zip bytes from any place, holding the bundle and its map", () => {
    const a = packageLambda({ entry: CONSUMER, outfile: path.join(dir("zip-a"), "consumer.zip") });
    const b = packageLambda({ entry: CONSUMER, outfile: path.join(dir("zip-b"), "x.zip") });
    const bytes = fs.readFileSync(a.outfile);
    expect(bytes.equals(fs.readFileSync(b.outfile))).toBe(true);
    expect(a.zipBytes).toBe(bytes.byteLength);
    const files = unzipSync(new Uint8Array(bytes));
    expect(Object.keys(files).sort()).toEqual(["index.js", "index.js.map"]);
    expect(files["index.js"].byteLength).toBe(a.bytes);
  });
});

describe("stableSourcePath", () => {
  it.each([
    ["lambdas/consumer/index.ts", "lambdas/consumer/index.ts"],
    ["../main/node_modules/pkg/index.js", "node_modules/pkg/index.js"],
    ["../../x/node_modules/a/node_modules/b/c.js", "node_modules/a/node_modules/b/c.js"],
  ])("maps %s to %s", (source, expected) => {
    expect(stableSourcePath(source)).toBe(expected);
  });

  it("throws when a source lies outside the project and node_modules", () => {
    expect(() => stableSourcePath("../elsewhere/util.ts")).toThrow(
      "Bundled source ../elsewhere/util.ts lies outside the project root and node_modules; move it under the project",
    );
  });
});
