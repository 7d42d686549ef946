/**
 * `npm run local` (`up`) and `npm run local:down` (`down`).
 *
 * up: start the emulator and the local runtime, deploy every stack with `cdktf deploy`, send a
 * short burst through the APIs and straight to the topics, wait for the consumers, and print the
 * stacks, `fanout status` and `fanout latency`. The deployment stays up.
 *
 * down: `cdktf destroy` every stack, report anything left in any region, stop both processes.
 */
import { relative } from "node:path";
import { createAwsClients } from "../cli/aws";
import { nodeHttpClient } from "../cli/http";
import { runCli } from "../cli/program";
import { LOCAL_CREDENTIALS, stateResourceCounts } from "./deployment";
import { PROJECT_ROOT } from "./layout";
import { down, up, type LocalDeployment } from "./lifecycle";
import { RuntimeClient } from "./runtime/client";

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true"; // see cli/main.ts

const log = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

/** Runs the operations CLI in-process against the local outputs file. */
export function fanout(outputsFile: string, args: readonly string[]): Promise<number> {
  return runCli([...args, "--outputs", outputsFile], {
    stdout: process.stdout,
    stderr: process.stderr,
    aws: (endpoints) => createAwsClients(LOCAL_CREDENTIALS, endpoints),
    credentials: () => LOCAL_CREDENTIALS,
    http: nodeHttpClient,
    onInterrupt: () => () => undefined,
  });
}

/** Messages of the quick start's burst, per stack and path. */
const BURST = 20;

/**
 * Waits until every enabled consumer has processed what the burst sent to its unit, or the
 * deadline passes; answers whether it got there.
 */
async function waitForConsumers(
  client: RuntimeClient,
  expected: number,
  deadlineMs: number,
): Promise<boolean> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    const status = await client.status();
    const enabled = status.pollers.filter((p) => p.enabled);
    if (enabled.every((p) => p.processed >= expected)) return true;
    if (Date.now() > until) return false;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

function printStacks(deployment: LocalDeployment): void {
  log("");
  log("stacks (one Terraform state each):");
  for (const stack of deployment.stacks) {
    const counts = stateResourceCounts(deployment.layout, stack);
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    const top = Object.entries(counts)
      .sort((a, b) => b[1] - a[1])
      .map(([type, n]) => `${type.replace(/^aws_/, "")} ${n}`)
      .join(", ");
    log(`  ${stack}: ${total} resources (${top})`);
  }
}

async function upCommand(): Promise<number> {
  const started = Date.now();
  const deployment = await up({ log });
  const outputs = relative(process.cwd(), deployment.layout.outputs) || deployment.layout.outputs;
  printStacks(deployment);

  log("");
  log(`traffic: ${BURST} messages per stack through its API, ${BURST} straight to its topic`);
  let failed = 0;
  for (const stack of deployment.stacks) {
    for (const via of ["api", "sns"]) {
      const args = ["load-test", "--stack", stack, "--via", via, "--messages", String(BURST)];
      if ((await fanout(deployment.layout.outputs, args)) !== 0) failed += 1;
    }
  }
  log("waiting for every consumer to drain its queue ...");
  const drained = await waitForConsumers(deployment.client, 2 * BURST, 60_000);
  if (!drained) log("some consumers have not caught up after 60 s; status follows");

  log("");
  const statusCode = await fanout(deployment.layout.outputs, ["status"]);
  for (const stack of deployment.stacks) {
    log("");
    await fanout(deployment.layout.outputs, ["latency", "--stack", stack, "--since", "5m"]);
  }

  const cli = "npm run fanout:local --";
  log("");
  log(`local deployment up in ${Math.round((Date.now() - started) / 1000)} s; it keeps running.`);
  log(
    `Use the operations CLI against it (${cli} <command> reads ${outputs} with the emulator's dummy credentials):`,
  );
  log(`  ${cli} status`);
  log(`  ${cli} produce --via api --count 10`);
  log(`  ${cli} latency --stack ${deployment.stacks[1] ?? deployment.stacks[0]}`);
  log(`  ${cli} drill`);
  log(
    `Logs: ${relative(PROJECT_ROOT, deployment.layout.logsDir)}/<function>.log, ` +
      `${relative(PROJECT_ROOT, deployment.layout.runtimeLog)}, ${relative(PROJECT_ROOT, deployment.layout.emulatorLog)}`,
  );
  log("Remove everything: npm run local:down");
  return failed > 0 || !drained || statusCode !== 0 ? 1 : 0;
}

async function downCommand(): Promise<number> {
  const result = await down({ log });
  return result.leftovers.length > 0 ? 1 : 0;
}

async function main(): Promise<void> {
  const command = process.argv[2];
  const run = command === "up" ? upCommand : command === "down" ? downCommand : undefined;
  if (run === undefined) {
    process.stderr.write("usage: ts-node local/cli.ts up|down\n");
    process.exit(2);
  }
  try {
    const code = await run();
    process.stdout.write("", () => process.exit(code));
  } catch (err) {
    process.stderr.write(
      `local ${command} failed: ${err instanceof Error ? err.message : String(err)}\n` +
        (command === "up"
          ? "(anything it started keeps running: npm run local:down stops it)\n"
          : ""),
    );
    process.exit(1);
  }
}

if (require.main === module) void main();
