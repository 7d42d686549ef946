/**
 * The local deployment's AWS emulator: moto's server, run by `local/emulator/launcher.py`, which
 * refuses any moto but 5.2.1 and fills moto's known gaps (`local/emulator/fills/`) before it
 * serves every service on one loopback port.
 *
 * The emulator runs detached in its own process group, its output appended to the state
 * directory's `emulator.log`; `emulator.pid` is written at spawn and `emulator.json`
 * ({@link EmulatorInfo}) once it answers a real request. Nothing here is imported by the
 * product's stacks or constructs.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as net from "node:net";
import { join } from "node:path";
import { localLayout, PROJECT_ROOT } from "./layout";
import { isAlive, logTail, readPidFile, sleep, spawnDetached, waitForExit } from "./process";

/** The launcher script the emulator process runs. */
export const EMULATOR_LAUNCHER = join(__dirname, "emulator", "launcher.py");

/** The only moto version the fills are written against. */
export const REQUIRED_MOTO_VERSION = "5.2.1";

/** How to install what the emulator needs. */
export const MOTO_INSTALL_HINT = `pip install "moto[server]==${REQUIRED_MOTO_VERSION}"`;

/** The Python interpreter, unless told otherwise. */
export const DEFAULT_PYTHON = "python3";

/** Address the emulator listens on: loopback only. */
export const EMULATOR_HOST = "127.0.0.1";

/** A running emulator, as `emulator.json` holds it. */
export interface EmulatorInfo {
  readonly pid: number;
  readonly port: number;
  /** Base URL of every service, e.g. `http://127.0.0.1:40123`. */
  readonly url: string;
}

export interface StartEmulatorOptions {
  /** State directory of the deployment (see `localLayout`). */
  readonly stateDir: string;
  /**
   * Python interpreter to run the launcher with.
   * @default - `python3` from PATH
   */
  readonly python?: string;
  /**
   * Fills to leave out (names from `local/emulator/fills/`), to show the gap each one fills.
   * @default - none: every fill applies
   */
  readonly skipFills?: readonly string[];
  /**
   * Environment of the emulator process (e.g. a PYTHONPATH).
   * @default - process.env
   */
  readonly env?: NodeJS.ProcessEnv;
  /**
   * How long to wait for the new emulator to answer.
   * @default - 30 s
   */
  readonly timeoutMs?: number;
}

const PROBE_SCRIPT = [
  "import importlib.metadata as m, importlib.util as u, json",
  "try:",
  "    v = m.version('moto')",
  "except m.PackageNotFoundError:",
  "    v = None",
  "missing = [n for n in ('moto', 'flask', 'flask_cors', 'werkzeug') if u.find_spec(n) is None]",
  "print(json.dumps({'moto': v, 'missing': missing}))",
].join("\n");

const unavailableCache = new Map<string, string | undefined>();

/**
 * Why the emulator cannot run here, in one line, or `undefined` when it can: `python3` must be
 * on PATH with moto 5.2.1 and its server's dependencies (Flask) importable.
 */
export function emulatorUnavailable(
  env: NodeJS.ProcessEnv = process.env,
  python: string = DEFAULT_PYTHON,
): string | undefined {
  const key = [python, env.PATH ?? "", env.PYTHONPATH ?? ""].join("\0");
  if (unavailableCache.has(key)) return unavailableCache.get(key);
  const reason = probePython(env, python);
  unavailableCache.set(key, reason);
  return reason;
}

function probePython(env: NodeJS.ProcessEnv, python: string): string | undefined {
  const probe = spawnSync(python, ["-c", PROBE_SCRIPT], { env, encoding: "utf8", timeout: 30_000 });
  if (probe.error !== undefined) {
    const code = (probe.error as NodeJS.ErrnoException).code;
    return code === "ENOENT"
      ? `${python} is not on PATH (the emulator is moto's server, a Python 3 program; ${MOTO_INSTALL_HINT})`
      : `${python} could not run: ${probe.error.message}`;
  }
  let answer: { moto: string | null; missing: string[] };
  try {
    answer = JSON.parse(probe.stdout.trim().split("\n").pop() ?? "");
  } catch {
    const why = (probe.stderr || probe.stdout).trim().split("\n").pop() ?? "";
    return `${python} could not check for moto (${why || `exit code ${probe.status}`})`;
  }
  if (answer.moto === null || answer.missing.includes("moto")) {
    return `moto is not installed for ${python} (${MOTO_INSTALL_HINT})`;
  }
  if (answer.moto !== REQUIRED_MOTO_VERSION) {
    return `moto ${answer.moto} is installed, the emulator needs moto ${REQUIRED_MOTO_VERSION} (${MOTO_INSTALL_HINT})`;
  }
  if (answer.missing.length > 0) {
    return `moto's server cannot run: ${answer.missing.join(", ")} not importable by ${python} (${MOTO_INSTALL_HINT})`;
  }
  return undefined;
}

/** Whether `pid` runs the launcher (where /proc tells; elsewhere, whether it is alive). */
function isEmulatorProcess(pid: number): boolean {
  if (!isAlive(pid)) return false;
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("launcher.py");
  } catch {
    return true;
  }
}

function readInfo(path: string): EmulatorInfo | undefined {
  try {
    const info = JSON.parse(fs.readFileSync(path, "utf8")) as EmulatorInfo;
    if (
      typeof info?.pid === "number" &&
      typeof info.port === "number" &&
      typeof info.url === "string"
    ) {
      return info;
    }
  } catch {
    // missing or half-written: no emulator
  }
  return undefined;
}

/** The state directory's emulator, when its process is alive. */
export function readEmulator(stateDir: string): EmulatorInfo | undefined {
  const info = readInfo(localLayout(stateDir).emulatorInfo);
  return info !== undefined && isEmulatorProcess(info.pid) ? info : undefined;
}

/** A free TCP port on the loopback address (free when asked; the launcher binds it next). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, EMULATOR_HOST, () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address !== null
          ? resolve(address.port)
          : reject(new Error("no port")),
      );
    });
  });
}

/**
 * Whether the emulator at `url` answers STS GetCallerIdentity: a request moto routes by the
 * credential scope of its Authorization header, as it does the SDK's.
 */
export function emulatorAnswers(url: string, timeoutMs = 2_000): Promise<boolean> {
  const body = "Action=GetCallerIdentity&Version=2011-06-15";
  return new Promise((resolve) => {
    const request = http.request(
      new URL("/", url),
      {
        method: "POST",
        headers: {
          "content-type": "application/x-www-form-urlencoded; charset=utf-8",
          "content-length": Buffer.byteLength(body),
          authorization:
            "AWS4-HMAC-SHA256 Credential=local/20250101/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=0",
        },
        timeout: timeoutMs,
        agent: false,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("error", () => resolve(false));
        response.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          resolve(response.statusCode === 200 && text.includes("GetCallerIdentityResult"));
        });
      },
    );
    request.on("timeout", () => request.destroy(new Error("timeout")));
    request.on("error", () => resolve(false));
    request.end(body);
  });
}

/** Signals a process group, then the process alone if the group is gone; false if neither is. */
function signal(pid: number, name: NodeJS.Signals): boolean {
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, name);
      return true;
    } catch {
      // no such group / process
    }
  }
  return false;
}

async function terminate(pid: number, timeoutMs: number): Promise<void> {
  if (!signal(pid, "SIGTERM")) return;
  if (await waitForExit(pid, timeoutMs)) return;
  signal(pid, "SIGKILL");
  if (!(await waitForExit(pid, 2_000))) {
    throw new Error(`the emulator (pid ${pid}) does not stop`);
  }
}

/** Outcome of one launch attempt. */
type Attempt = { readonly info: EmulatorInfo } | { readonly retry: string };

async function launch(
  layout: ReturnType<typeof localLayout>,
  options: StartEmulatorOptions,
): Promise<Attempt> {
  const python = options.python ?? DEFAULT_PYTHON;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const port = await freePort();
  const args = [EMULATOR_LAUNCHER, "--host", EMULATOR_HOST, "--port", String(port)];
  for (const name of options.skipFills ?? []) args.push("--skip-fill", name);
  const logStart = fs.existsSync(layout.emulatorLog) ? fs.statSync(layout.emulatorLog).size : 0;
  fs.appendFileSync(
    layout.emulatorLog,
    `--- ${new Date().toISOString()} starting: ${python} ${args.join(" ")}\n`,
  );
  const child = spawnDetached(python, args, {
    cwd: PROJECT_ROOT,
    env: { ...(options.env ?? process.env), PYTHONUNBUFFERED: "1" },
    log: layout.emulatorLog,
    startError: (message) => `could not start (${message})`,
  });
  const { pid } = child;
  if (pid !== undefined) fs.writeFileSync(layout.emulatorPid, `${pid}\n`);

  const failure = (why: string): Error => {
    const tail = logTail(layout.emulatorLog, logStart, 20);
    return new Error(`the emulator ${why}; last lines of ${layout.emulatorLog}:\n${tail}`);
  };
  const url = `http://${EMULATOR_HOST}:${port}`;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const exited = child.exited();
    if (exited !== undefined) {
      fs.rmSync(layout.emulatorPid, { force: true });
      const tail = logTail(layout.emulatorLog, logStart, 20);
      // Another process took the port between our look and the launcher's bind.
      if (/cannot listen on/.test(tail)) return { retry: tail };
      throw failure(exited);
    }
    if (pid !== undefined && (await emulatorAnswers(url))) {
      const info: EmulatorInfo = { pid, port, url };
      fs.writeFileSync(layout.emulatorInfo, `${JSON.stringify(info, null, 2)}\n`);
      return { info };
    }
    await sleep(100);
  }
  if (pid !== undefined) await terminate(pid, 2_000).catch(() => undefined);
  fs.rmSync(layout.emulatorPid, { force: true });
  throw failure(`did not answer within ${timeoutMs} ms (pid ${pid})`);
}

/**
 * Starts the emulator for a state directory on a free loopback port and answers its
 * {@link EmulatorInfo} once it answers a real request; when one already runs for that state
 * directory and answers, answers that one.
 *
 * @throws Error when the emulator exits early or does not answer in time, with the last lines
 *   of its log (e.g. the launcher's refusal of another moto version)
 */
export async function startEmulator(options: StartEmulatorOptions): Promise<EmulatorInfo> {
  const layout = localLayout(options.stateDir);
  const running = readEmulator(layout.dir);
  if (running !== undefined) {
    if (await emulatorAnswers(running.url)) return running;
    // Alive but deaf (hung, or a half-finished start): replace it.
    await terminate(running.pid, 5_000);
  }
  fs.mkdirSync(layout.dir, { recursive: true });
  fs.rmSync(layout.emulatorInfo, { force: true });
  fs.rmSync(layout.emulatorPid, { force: true });

  let lastRetry = "";
  for (let attempt = 0; attempt < 3; attempt++) {
    const result = await launch(layout, options);
    if ("info" in result) return result.info;
    lastRetry = result.retry;
  }
  throw new Error(`the emulator found no free port in 3 attempts:\n${lastRetry}`);
}

/**
 * Stops the state directory's emulator by its pid: SIGTERM to its process group, SIGKILL after
 * `timeoutMs`; then removes `emulator.json` and `emulator.pid`. Answers whether one was running.
 */
export async function stopEmulator(stateDir: string, timeoutMs = 10_000): Promise<boolean> {
  const layout = localLayout(stateDir);
  const pid = readInfo(layout.emulatorInfo)?.pid ?? readPidFile(layout.emulatorPid);
  const running = pid !== undefined && isEmulatorProcess(pid);
  if (running) await terminate(pid, timeoutMs);
  fs.rmSync(layout.emulatorInfo, { force: true });
  fs.rmSync(layout.emulatorPid, { force: true });
  return running;
}
