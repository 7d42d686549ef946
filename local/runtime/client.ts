/**
 * Starting, finding, calling and stopping the local runtime process, for the launcher, the
 * tests and the operations CLI.
 *
 * The runtime runs detached in its own process group, its output appended to the state
 * directory's `runtime.log`; it writes `runtime.json` (its `RuntimeInfo`) and `runtime.pid` once
 * it listens.
 */
import * as fs from "node:fs";
import * as http from "node:http";
import { join } from "node:path";
import { localLayout, PROJECT_ROOT } from "../layout";
import { isAlive, logTail, readPidFile, sleep, spawnDetached, waitForExit } from "../process";
import type { DeliveryRecord, LoadResult, RuntimeInfo, RuntimeStatus } from "./types";
import type { RegionState } from "./local-runtime";

/** The runtime process's entry point. */
export const RUNTIME_MAIN = join(__dirname, "main.ts");

export interface StartRuntimeOptions {
  readonly stateDir: string;
  /** Base URL of the emulator, e.g. `http://127.0.0.1:5000`. */
  readonly emulatorUrl: string;
  /** Regions to open a front door for, e.g. `["us-east-1", "us-west-2"]`. */
  readonly regions: readonly string[];
  /**
   * Ports of the front doors, region -> port, e.g. to keep the endpoints a deployment was
   * applied with.
   * @default - free ports
   */
  readonly ports?: Readonly<Record<string, number>>;
  /**
   * Account of the local deployment.
   * @default - moto's, 123456789012
   */
  readonly accountId?: string;
  /**
   * How long to wait for the runtime to answer.
   * @default - 30 s
   */
  readonly timeoutMs?: number;
}

export { isAlive };

function readInfo(path: string): RuntimeInfo | undefined {
  try {
    const info = JSON.parse(fs.readFileSync(path, "utf8")) as RuntimeInfo;
    if (typeof info?.pid === "number" && typeof info.controlUrl === "string") return info;
  } catch {
    // missing or half-written: no runtime yet
  }
  return undefined;
}

/** The state directory's runtime, when its process is alive. */
export function readRuntime(stateDir: string): RuntimeInfo | undefined {
  const info = readInfo(localLayout(stateDir).runtimeInfo);
  return info !== undefined && isAlive(info.pid) ? info : undefined;
}

/**
 * Starts the runtime for a state directory and answers its `RuntimeInfo` once `runtime.json` of
 * the new process exists and `GET /status` answers.
 *
 * @throws Error when a runtime of this state directory is already running, or the new one exits
 *   or does not answer in time (with the tail of its log)
 */
export async function startRuntime(options: StartRuntimeOptions): Promise<RuntimeInfo> {
  const layout = localLayout(options.stateDir);
  const running = readRuntime(layout.dir);
  if (running !== undefined) {
    throw new Error(
      `a local runtime already runs for ${layout.dir} (pid ${running.pid}, ${running.controlUrl})`,
    );
  }
  fs.mkdirSync(layout.dir, { recursive: true });
  fs.rmSync(layout.runtimeInfo, { force: true });
  fs.rmSync(layout.runtimePid, { force: true });

  const args = [
    "-r",
    require.resolve("ts-node/register/transpile-only"),
    RUNTIME_MAIN,
    "--state-dir",
    layout.dir,
    "--emulator",
    options.emulatorUrl,
    "--regions",
    options.regions.join(","),
  ];
  if (options.ports !== undefined && Object.keys(options.ports).length > 0) {
    const ports = Object.entries(options.ports).map(([region, port]) => `${region}=${port}`);
    args.push("--ports", ports.join(","));
  }
  if (options.accountId !== undefined) args.push("--account-id", options.accountId);

  const logStart = fs.existsSync(layout.runtimeLog) ? fs.statSync(layout.runtimeLog).size : 0;
  const child = spawnDetached(process.execPath, args, {
    cwd: PROJECT_ROOT,
    env: { ...process.env, TS_NODE_TRANSPILE_ONLY: "true" },
    log: layout.runtimeLog,
    startError: (message) => `could not start: ${message}`,
  });
  const { pid } = child;

  const failure = (why: string): Error => {
    const text = logTail(layout.runtimeLog, logStart, 30);
    return new Error(
      `the local runtime ${why}; ${layout.runtimeLog}:\n${text || "(empty)"}`.trimEnd(),
    );
  };
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  while (Date.now() < deadline) {
    const exited = child.exited();
    if (exited !== undefined) throw failure(exited);
    const info = readInfo(layout.runtimeInfo);
    if (info !== undefined && info.pid === pid) {
      try {
        await new RuntimeClient(info.controlUrl, 2_000).status();
        return info;
      } catch {
        // not answering yet
      }
    }
    await sleep(50);
  }
  if (pid !== undefined && isAlive(pid)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone meanwhile
    }
  }
  throw failure(`did not answer within ${options.timeoutMs ?? 30_000} ms (pid ${pid})`);
}

/**
 * Stops the state directory's runtime: `POST /shutdown` (it unloads and exits), else SIGTERM,
 * else SIGKILL, by its pid; then removes `runtime.json` and `runtime.pid`. Answers whether a
 * runtime was running.
 */
export async function stopRuntime(stateDir: string, timeoutMs = 15_000): Promise<boolean> {
  const layout = localLayout(stateDir);
  const info = readInfo(layout.runtimeInfo);
  let pid = info?.pid;
  pid ??= readPidFile(layout.runtimePid);
  const running = pid !== undefined && isAlive(pid);
  if (running && pid !== undefined) {
    let stopped = false;
    if (info !== undefined) {
      try {
        await new RuntimeClient(info.controlUrl, timeoutMs).shutdown();
        stopped = await waitForExit(pid, Math.min(timeoutMs, 5_000));
      } catch {
        // not answering: signals below
      }
    }
    if (!stopped) {
      for (const signal of ["SIGTERM", "SIGKILL"] as const) {
        try {
          process.kill(pid, signal);
        } catch {
          break;
        }
        if (await waitForExit(pid, signal === "SIGTERM" ? 5_000 : 2_000)) break;
      }
    }
    if (isAlive(pid)) throw new Error(`the local runtime (pid ${pid}) does not stop`);
  }
  fs.rmSync(layout.runtimeInfo, { force: true });
  fs.rmSync(layout.runtimePid, { force: true });
  return running;
}

/** An error answer of the control API. */
export class RuntimeClientError extends Error {
  override readonly name = "RuntimeClientError";
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Calls the runtime's control API (see control.ts) over node:http. */
export class RuntimeClient {
  constructor(
    readonly controlUrl: string,
    private readonly timeoutMs = 60_000,
  ) {}

  load(stackDirs: readonly string[]): Promise<LoadResult> {
    return this.call("POST", "/load", { stackDirs });
  }

  async unload(): Promise<void> {
    await this.call("POST", "/unload");
  }

  regionDown(region: string): Promise<RegionState> {
    return this.call("POST", `/regions/${encodeURIComponent(region)}/down`);
  }

  regionUp(region: string): Promise<RegionState> {
    return this.call("POST", `/regions/${encodeURIComponent(region)}/up`);
  }

  status(): Promise<RuntimeStatus> {
    return this.call("GET", "/status");
  }

  async deliveries(since?: number): Promise<DeliveryRecord[]> {
    const query = since === undefined ? "" : `?since=${since}`;
    return this.call<DeliveryRecord[]>("GET", `/deliveries${query}`);
  }

  /** Unloads; the process exits once it has answered. */
  async shutdown(): Promise<void> {
    await this.call("POST", "/shutdown");
  }

  private call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const url = new URL(path, this.controlUrl);
    const text = body === undefined ? undefined : JSON.stringify(body);
    return new Promise<T>((resolve, reject) => {
      const request = http.request(
        url,
        {
          method,
          headers: {
            accept: "application/json",
            ...(text === undefined
              ? {}
              : { "content-type": "application/json", "content-length": Buffer.byteLength(text) }),
          },
          timeout: this.timeoutMs,
          agent: false,
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on("data", (chunk: Buffer) => chunks.push(chunk));
          response.on("error", reject);
          response.on("end", () => {
            const raw = Buffer.concat(chunks).toString("utf8");
            let parsed: unknown;
            try {
              parsed = raw === "" ? undefined : JSON.parse(raw);
            } catch {
              parsed = undefined;
            }
            const status = response.statusCode ?? 0;
            if (status >= 200 && status < 300) {
              resolve(parsed as T);
              return;
            }
            const message =
              typeof (parsed as { message?: unknown })?.message === "string"
                ? (parsed as { message: string }).message
                : raw.slice(0, 200);
            reject(new RuntimeClientError(status, `${method} ${path}: ${status} ${message}`));
          });
        },
      );
      request.on("timeout", () =>
        request.destroy(new Error(`${method} ${url.href}: no answer within ${this.timeoutMs} ms`)),
      );
      request.on("error", reject);
      request.end(text);
    });
  }
}
