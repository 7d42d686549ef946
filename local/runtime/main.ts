/**
 * The local runtime process:
 *
 *   node -r ts-node/register/transpile-only local/runtime/main.ts \
 *     --state-dir .local --emulator http://127.0.0.1:5000 --regions us-east-1,us-west-2
 *
 * Opens a front door per region (an endpoint for every AWS service of the region, proxied to
 * the emulator), then the control API (control.ts), then writes `runtime.json` (RuntimeInfo) and
 * `runtime.pid` into the state directory. Logs go to stdout (the launcher appends them to
 * `runtime.log`). SIGTERM, SIGINT and `POST /shutdown` unload everything and exit 0.
 *
 * Use client.ts's `startRuntime` rather than running this by hand.
 */
import * as fs from "node:fs";
import { Command, InvalidArgumentError } from "commander";
import { localLayout } from "../layout";
import { ApiServer, DEFAULT_ACCOUNT_ID } from "./api";
import { ControlServer } from "./control";
import { LocalRuntime, type RuntimeFactories } from "./local-runtime";
import { FrontDoor } from "./front-door";
import { createFunctionHost } from "./functions";
import { openJournal } from "./journal";
import { createPoller } from "./poller";
import { readDeployment } from "./state";
import type { RuntimeInfo } from "./types";

export interface RuntimeArgs {
  readonly stateDir: string;
  readonly emulator: string;
  readonly regions: readonly string[];
  /** Region -> front door port; regions not listed get a free port. */
  readonly ports: Readonly<Record<string, number>>;
  readonly accountId: string;
}

const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d$/;

function regionList(value: string): string[] {
  const regions = value
    .split(",")
    .map((r) => r.trim())
    .filter((r) => r !== "");
  const bad = regions.filter((r) => !REGION.test(r));
  if (regions.length === 0 || bad.length > 0) {
    throw new InvalidArgumentError(`expected regions like us-east-1,us-west-2, got "${value}"`);
  }
  if (new Set(regions).size !== regions.length) {
    throw new InvalidArgumentError(`a region is listed twice in "${value}"`);
  }
  return regions;
}

function portMap(value: string): Record<string, number> {
  const ports: Record<string, number> = {};
  for (const entry of value.split(",").filter((e) => e.trim() !== "")) {
    const match = /^\s*([a-z0-9-]+)=(\d+)\s*$/.exec(entry);
    const port = match ? Number(match[2]) : Number.NaN;
    if (!match || port < 1 || port > 65535) {
      throw new InvalidArgumentError(
        `expected region=port,... (e.g. us-east-1=4601), got "${value}"`,
      );
    }
    ports[match[1]] = port;
  }
  return ports;
}

function emulatorUrl(value: string): string {
  try {
    const url = new URL(value);
    if (url.protocol === "http:") return value.replace(/\/+$/, "");
  } catch {
    // below
  }
  throw new InvalidArgumentError(`expected the emulator's http:// URL, got "${value}"`);
}

/** Parses the command line (`argv` without node and the script). */
export function parseArgs(argv: readonly string[]): RuntimeArgs {
  const program = new Command("local-runtime")
    .description("The local runtime: front doors, function hosts, queue pollers, producer APIs")
    .requiredOption("--state-dir <dir>", "the local deployment's state directory")
    .requiredOption("--emulator <url>", "base URL of the emulator", emulatorUrl)
    .requiredOption("--regions <list>", "comma-separated regions to serve", regionList)
    .option("--ports <list>", "front door ports, region=port,...", portMap, {})
    .option("--account-id <id>", "account of the local deployment", DEFAULT_ACCOUNT_ID)
    .exitOverride()
    .configureOutput({ writeErr: (text) => process.stderr.write(text) });
  program.parse([...argv], { from: "user" });
  const options = program.opts<{
    stateDir: string;
    emulator: string;
    regions: string[];
    ports: Record<string, number>;
    accountId: string;
  }>();
  const unknown = Object.keys(options.ports).filter((r) => !options.regions.includes(r));
  if (unknown.length > 0) {
    throw new Error(`--ports names regions not in --regions: ${unknown.join(", ")}`);
  }
  return { ...options };
}

function log(line: string): void {
  process.stdout.write(`${new Date().toISOString()} ${line}\n`);
}

/** Writes a file whole: readers never see half of it. */
function writeAtomically(path: string, text: string): void {
  const temporary = `${path}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, text);
  fs.renameSync(temporary, path);
}

/** Removes a file if it still holds what this process wrote. */
function removeIfOurs(path: string, marker: string): void {
  try {
    if (fs.readFileSync(path, "utf8").includes(marker)) fs.rmSync(path, { force: true });
  } catch {
    // already gone
  }
}

/**
 * The real parts: the deployment reader (state.ts), function hosts (functions.ts), queue pollers
 * (poller.ts) and the delivery journal (journal.ts), all talking to the emulator through the
 * front door the runtime hands them.
 */
function realFactories(args: RuntimeArgs): RuntimeFactories {
  const layout = localLayout(args.stateDir);
  const journal = openJournal(layout.journal);
  return {
    readDeployment: (stackDir) => readDeployment(stackDir, { env: process.env }),
    createFunction: (fn, options) =>
      createFunctionHost(fn, {
        stateDir: layout.dir,
        endpointUrl: options.endpointUrl,
        accountId: args.accountId,
        maxEnvironments: options.maxEnvironments,
        onWarning: (message) => log(`[function ${fn.name}] ${message}`),
      }),
    createPoller: (mapping, invoker, options) => {
      // A region that is down fails every receive: say so when the problem changes, not each time.
      let last: string | undefined;
      return createPoller(mapping, invoker, {
        sqs: options.sqs,
        journal,
        onError: (error) => {
          if (error.message === last) return;
          last = error.message;
          log(`[poller ${mapping.functionName}] ${error.message}`);
        },
      });
    },
    createApi: (api, invokerFor) =>
      new ApiServer({ api, invokerFor, accountId: args.accountId, onLog: log }),
    readDeliveries: (since) => journal.read(since),
  };
}

/** Runs the runtime until SIGTERM, SIGINT or `POST /shutdown`. */
export async function run(args: RuntimeArgs): Promise<void> {
  const layout = localLayout(args.stateDir);
  fs.mkdirSync(layout.dir, { recursive: true });
  log(
    `local runtime ${process.pid}: emulator ${args.emulator}, regions ${args.regions.join(", ")}`,
  );

  const doors = args.regions.map(
    (region) => new FrontDoor({ region, target: args.emulator, port: args.ports[region] }),
  );
  for (const door of doors) {
    await door.start();
    log(`front door ${door.region}: ${door.url} -> ${args.emulator}`);
  }

  let stopping: Promise<void> | undefined;
  const runtime = new LocalRuntime({ frontDoors: doors, factories: realFactories(args), log });
  const control = new ControlServer(runtime, {
    log,
    onShutdown: () => void stop("POST /shutdown"),
  });
  const marker = `"pid": ${process.pid},`;

  const stop = (why: string): Promise<void> =>
    (stopping ??= (async () => {
      log(`stopping (${why})`);
      const deadline = setTimeout(() => {
        log("still stopping after 20 s: exiting anyway");
        process.exit(1);
      }, 20_000);
      deadline.unref();
      try {
        await runtime.unload();
      } catch (error) {
        log(`unload failed: ${(error as Error).message}`);
      }
      await control.close();
      await Promise.all(doors.map((door) => door.close()));
      removeIfOurs(layout.runtimeInfo, marker);
      removeIfOurs(layout.runtimePid, String(process.pid));
      log("stopped");
      process.exit(0);
    })());

  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));

  await control.start();
  const info: RuntimeInfo = {
    pid: process.pid,
    controlUrl: control.url,
    endpoints: Object.fromEntries(doors.map((door) => [door.region, door.url])),
  };
  writeAtomically(layout.runtimeInfo, `${JSON.stringify(info, null, 2)}\n`);
  writeAtomically(layout.runtimePid, `${process.pid}\n`);
  log(`control API ${control.url}; wrote ${layout.runtimeInfo}`);
}

if (require.main === module) {
  let args: RuntimeArgs;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (error) {
    const code = (error as { exitCode?: number }).exitCode;
    if (code === 0) process.exit(0);
    if (!(error as { code?: string }).code?.startsWith("commander.")) {
      process.stderr.write(`error: ${(error as Error).message}\n`);
    }
    process.exit(2);
  }
  run(args).catch((error: unknown) => {
    log(`error: ${(error as Error).message}`);
    process.exit(1);
  });
}
