/**
 * Benchmark of the Lambda bundles on this machine (`npm run bench`); not a test.
 *
 * For each entry of {@link ENTRIES} it prints:
 * - bundle size and zipped size (the deployment package `packageLambda` writes for the asset);
 * - module init in a fresh `node --enable-source-maps` process (as the functions run), next to
 *   an empty handler's (median of several runs): time from process start to the handler loaded,
 *   and the `require` alone, also without source maps to show what loading the map costs;
 * - when the entry has a per-record workload: handler cost per record over thousands of valid
 *   batches, next to the floor of only `JSON.parse` of the same bodies. Output is silenced by
 *   replacing the stdout/stderr writes with no-ops, so EMF/log serialization is counted and the
 *   I/O is not.
 *
 * Add a function by adding an entry to {@link ENTRIES}.
 *
 * Then, where the local deployment can run (Terraform, python3 with moto 5.2.1), it deploys both
 * stacks to the emulator and destroys them again in a scratch state directory, and prints each
 * time next to its floor: the longest chain of SQS propagation waits the provider must sit
 * through (`local/critical-path.ts`). `-- --no-local` skips that part.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { bundleLambda, packageLambda, PROJECT_ROOT } from "../constructs/bundling";
import { producerApiEnvironment } from "../lambdas/producer-api/env";
import { consumerEnvironment } from "../lambdas/consumer/env";
import { criticalPath } from "../local/critical-path";
import { down, localDeploymentUnavailable, up } from "../local/lifecycle";

/** A workload measured per record. */
interface PerRecordWorkload {
  /** Records per invocation. */
  readonly batchSize: number;
  /** A fresh valid event of `batchSize` records. */
  readonly event: () => unknown;
  /** The least work any handler must do on the same event (the floor). */
  readonly floor: (event: unknown) => void;
}

/** One Lambda entry to measure. */
interface BenchEntry {
  readonly name: string;
  /** Entry file relative to the project root. */
  readonly entry: string;
  /** Environment the function gets at init. */
  readonly env: Record<string, string>;
  /** Size budget of the minified bundle, in bytes. */
  readonly maxBundleBytes: number;
  /**
   * Init budget as a multiple of the empty handler's; `undefined` prints the figure without a
   * verdict (the producer API loads the runtime's SNS client at init, which no budget covers).
   */
  readonly maxInitRatio?: number;
  readonly perRecord?: PerRecordWorkload;
}

/** Targets every entry is held to. */
const TARGETS = { perRecordRatio: 3 };
const INIT_RUNS = 11;
const WARMUP_BATCHES = 1_000;
const MEASURED_BATCHES = 5_000;
const ROUNDS = 5;

interface SqsBatch {
  Records: { body: string }[];
}

function snsToSqsBatch(batchSize: number): SqsBatch {
  const now = Date.now();
  const topicArn = "arn:aws:sns:us-east-1:123456789012:fanout-primary";
  return {
    Records: Array.from({ length: batchSize }, (_, index) => ({
      messageId: `bench-${index}`,
      receiptHandle: `handle-${index}`,
      body: JSON.stringify({
        Type: "Notification",
        MessageId: `sns-${index}`,
        TopicArn: topicArn,
        Message: JSON.stringify({ recorded_at: now - 200, source: "bench" }),
        Timestamp: new Date(now - 150).toISOString(),
        SignatureVersion: "1",
        Signature: "ZmFrZSBzaWduYXR1cmUgZm9yIHRoZSBiZW5jaG1hcms=",
        SigningCertURL: "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0.pem",
        UnsubscribeURL: `https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=${topicArn}:1`,
      }),
      attributes: {
        ApproximateReceiveCount: "1",
        SentTimestamp: String(now - 120),
        SenderId: "AIDAIT2UOQQY3AUEKVGXU",
        ApproximateFirstReceiveTimestamp: String(now - 100),
      },
      messageAttributes: {},
      md5OfBody: "00000000000000000000000000000000",
      eventSource: "aws:sqs",
      eventSourceARN: "arn:aws:sqs:us-east-1:123456789012:fanout-primary-active",
      awsRegion: "us-east-1",
    })),
  };
}

const ENTRIES: readonly BenchEntry[] = [
  {
    name: "consumer",
    entry: "lambdas/consumer/index.ts",
    env: consumerEnvironment({ unitName: "fanout-primary", stack: "primary", role: "active" }),
    maxBundleBytes: 60 * 1024,
    maxInitRatio: 3,
    perRecord: {
      batchSize: 10,
      event: () => snsToSqsBatch(10),
      // An SNS envelope needs two parses: the SQS body, then its Message.
      floor: (event) => {
        for (const record of (event as SqsBatch).Records) {
          const envelope = JSON.parse(record.body) as { Message: string };
          JSON.parse(envelope.Message);
        }
      },
    },
  },
  {
    name: "producer-api",
    entry: "lambdas/producer-api/index.ts",
    env: producerApiEnvironment({
      topicArn: "arn:aws:sns:us-east-1:123456789012:fanout-primary-topic",
      stack: "primary",
      service: "fanout-primary-api",
    }),
    maxBundleBytes: 60 * 1024,
  },
];

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

function verdict(ok: boolean): string {
  return ok ? "ok" : "OVER TARGET";
}

interface InitTiming {
  /** ms from process start to the handler loaded. */
  readonly sinceStart: number;
  /** ms spent in `require` of the handler module. */
  readonly require: number;
}

/** Loads a handler module in a fresh node process and times it. */
function initOnce(file: string, env: Record<string, string>, sourceMaps: boolean): InitTiming {
  const script = `
    const { performance } = require("node:perf_hooks");
    const before = performance.now();
    const loaded = require(${JSON.stringify(file)});
    const after = performance.now();
    if (typeof loaded.handler !== "function") process.exit(3);
    process.stdout.write(JSON.stringify({ sinceStart: after, require: after - before }));
  `;
  const flags = sourceMaps ? ["--enable-source-maps"] : [];
  const child = spawnSync(process.execPath, [...flags, "-e", script], {
    // NODE_PATH stands in for the runtime's own AWS SDK v3, which bundles leave external.
    env: {
      PATH: process.env.PATH ?? "",
      NODE_PATH: path.join(PROJECT_ROOT, "node_modules"),
      AWS_REGION: "us-east-1",
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
      ...env,
    },
    encoding: "utf8",
  });
  if (child.status !== 0) {
    throw new Error(`Loading ${file} failed (exit ${child.status}): ${child.stderr.trim()}`);
  }
  return JSON.parse(child.stdout) as InitTiming;
}

function initTimes(file: string, emptyFile: string, env: Record<string, string>) {
  const runs: { bundle: InitTiming; empty: InitTiming; noMaps: InitTiming }[] = [];
  for (let run = 0; run < INIT_RUNS; run += 1) {
    runs.push({
      bundle: initOnce(file, env, true),
      empty: initOnce(emptyFile, env, true),
      noMaps: initOnce(file, env, false),
    });
  }
  const pick = (which: "bundle" | "empty" | "noMaps"): InitTiming => ({
    sinceStart: median(runs.map((run) => run[which].sinceStart)),
    require: median(runs.map((run) => run[which].require)),
  });
  return { bundle: pick("bundle"), empty: pick("empty"), noMaps: pick("noMaps") };
}

type Handler = (event: unknown, context?: unknown) => Promise<unknown>;

/** Runs `work` with stdout/stderr writes discarded. */
async function silenced<T>(work: () => Promise<T>): Promise<T> {
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  process.stdout.write = (() => true) as typeof process.stdout.write;
  process.stderr.write = (() => true) as typeof process.stderr.write;
  try {
    return await work();
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}

/** Median over rounds of the cost per record, in microseconds. */
async function perRecordCost(
  run: (event: unknown) => Promise<unknown> | void,
  workload: PerRecordWorkload,
): Promise<number> {
  const event = workload.event();
  for (let batch = 0; batch < WARMUP_BATCHES; batch += 1) await run(event);
  const rounds: number[] = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    const start = performance.now();
    for (let batch = 0; batch < MEASURED_BATCHES; batch += 1) await run(event);
    const elapsed = performance.now() - start;
    rounds.push((elapsed * 1000) / (MEASURED_BATCHES * workload.batchSize));
  }
  return median(rounds);
}

async function benchEntry(entry: BenchEntry, scratch: string): Promise<void> {
  const outdir = path.join(scratch, entry.name);
  const bundle = bundleLambda({ entry: entry.entry, outdir, cache: false });
  const zipped = packageLambda({
    entry: entry.entry,
    outfile: path.join(scratch, `${entry.name}.zip`),
  }).zipBytes;
  const file = path.join(outdir, "index.js");

  console.log(`\n## ${entry.name} (${entry.entry})`);
  console.log(
    `bundle     ${kib(bundle.bytes).padStart(10)}  target <= ${kib(entry.maxBundleBytes)}  ${verdict(bundle.bytes <= entry.maxBundleBytes)}`,
  );
  console.log(
    `zip        ${kib(zipped).padStart(10)}  (index.js + index.js.map ${kib(bundle.mapBytes)}: the deployment package packageLambda writes)`,
  );

  const emptyFile = path.join(scratch, "empty-handler.js");
  fs.writeFileSync(emptyFile, "exports.handler = async () => ({});\n");
  const init = initTimes(file, emptyFile, entry.env);
  const initRatio = init.bundle.sinceStart / init.empty.sinceStart;
  console.log(
    `init       ${init.bundle.sinceStart.toFixed(1).padStart(7)} ms  empty handler ${init.empty.sinceStart.toFixed(1)} ms  ` +
      `ratio ${initRatio.toFixed(2)}x  ` +
      (entry.maxInitRatio === undefined
        ? "no target (loads the runtime's AWS SDK client)"
        : `target <= ${entry.maxInitRatio}x  ${verdict(initRatio <= entry.maxInitRatio)}`) +
      `  (node start to handler loaded, median of ${INIT_RUNS})`,
  );
  console.log(
    `  require  ${init.bundle.require.toFixed(2).padStart(7)} ms  empty handler ${init.empty.require.toFixed(2)} ms  ` +
      `(module load alone; ${init.noMaps.require.toFixed(2)} ms without --enable-source-maps)`,
  );

  if (entry.perRecord === undefined) return;
  const workload = entry.perRecord;
  Object.assign(process.env, entry.env);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { handler } = require(file) as { handler: Handler };
  const handlerCost = await silenced(() => perRecordCost((event) => handler(event), workload));
  const floorCost = await perRecordCost((event) => workload.floor(event), workload);
  const ratio = handlerCost / floorCost;
  console.log(
    `per record ${handlerCost.toFixed(2).padStart(7)} us  JSON.parse floor ${floorCost.toFixed(2)} us  ` +
      `ratio ${ratio.toFixed(2)}x  target <= ${TARGETS.perRecordRatio}x  ${verdict(ratio <= TARGETS.perRecordRatio)}` +
      `  (${workload.batchSize}-record batches x ${MEASURED_BATCHES}, median of ${ROUNDS} rounds)`,
  );
}

/** Deploy and destroy of both stacks on the local emulator, next to the provider's floor. */
async function benchLocalDeployment(): Promise<void> {
  console.log("\n## Local deployment (cdktf deploy / destroy of every stack to the emulator)");
  const unavailable = localDeploymentUnavailable();
  if (unavailable !== undefined) {
    console.log(`  skipped: ${unavailable}`);
    return;
  }
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-local-"));
  try {
    const deployment = await up({ stateDir });
    const floors = deployment.stacks.map((stack) => {
      const file = path.join(deployment.layout.dir, `terraform.${stack}.tfstate`);
      return criticalPath(JSON.parse(fs.readFileSync(file, "utf8")));
    });
    const floor = Math.max(...floors.map((f) => f.seconds));
    const deploySeconds = deployment.deploy.elapsedMs / 1000;
    const result = await down({ stateDir });
    const destroySeconds = (result.destroy?.elapsedMs ?? 0) / 1000;
    const chain = floors.find((f) => f.seconds === floor)?.chain ?? [];
    console.log(`  floor: ${floor} s of SQS propagation waits in a row (${chain.join(" -> ")})`);
    console.log(
      `  deploy ${deployment.stacks.join(" + ")}: ${deploySeconds.toFixed(0)} s (${(deploySeconds / floor).toFixed(2)}x the floor)`,
    );
    console.log(
      `  destroy: ${destroySeconds.toFixed(0)} s (${(destroySeconds / floor).toFixed(2)}x the floor); left behind: ${result.leftovers.length}`,
    );
  } finally {
    fs.rmSync(stateDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const cpu = os.cpus()[0]?.model ?? "unknown CPU";
  console.log(
    `# Lambda bundle benchmark: node ${process.version}, ${cpu}, ${os.cpus().length} cores`,
  );
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "bench-"));
  try {
    for (const entry of ENTRIES) await benchEntry(entry, scratch);
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
  if (!process.argv.includes("--no-local")) await benchLocalDeployment();
}

main().then(
  // The SDK's keep-alive sockets must not hold the process.
  () => process.exit(process.exitCode ?? 0),
  (error: unknown) => {
    console.error((error as Error).message);
    process.exit(1);
  },
);
