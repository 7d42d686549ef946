/**
 * What Lambda sets up before a function's code runs: the deployment package extracted (once per
 * code hash), the bootstrap that loads the handler in a child process, and the environment
 * variables of an execution environment.
 */
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve, sep } from "node:path";
import { buildSync } from "esbuild";
import { unzipSync } from "fflate";
import { localLayout } from "../layout";
import type { DeployedFunction } from "./types";

/** Credentials the execution environments (and the metric forwarder) present to the emulator. */
export interface LocalCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** Dummy credentials: the emulator accepts any. */
export const DEFAULT_CREDENTIALS: LocalCredentials = {
  accessKeyId: "test",
  secretAccessKey: "test",
  sessionToken: "local-session",
};

/** Where a function's package is extracted: `<functions>/<name>/<code hash, file-name safe>`. */
export function packageDir(stateDir: string, fn: DeployedFunction): string {
  const hash =
    fn.sourceCodeHash !== ""
      ? fn.sourceCodeHash
      : createHash("sha256").update(readFileSync(fn.packagePath)).digest("hex");
  return join(localLayout(stateDir).functionsDir, fn.name, hash.replace(/[^A-Za-z0-9._-]/g, "_"));
}

const EXTRACTED_MARKER = ".extracted";

/**
 * Extracts the function's zip into {@link packageDir} unless an earlier run did; the directory
 * appears complete or not at all.
 *
 * @throws Error when the package is missing or not a zip, or an entry points outside the directory
 */
export function extractPackage(stateDir: string, fn: DeployedFunction): string {
  const dir = packageDir(stateDir, fn);
  if (existsSync(join(dir, EXTRACTED_MARKER))) return dir;
  if (!existsSync(fn.packagePath)) {
    throw new Error(`Deployment package of ${fn.name} not found: ${fn.packagePath}`);
  }
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(readFileSync(fn.packagePath));
  } catch (error) {
    throw new Error(`Deployment package of ${fn.name} is not a zip (${fn.packagePath}): ${error}`);
  }
  const staging = `${dir}.${process.pid}.${randomBytes(4).toString("hex")}`;
  mkdirSync(staging, { recursive: true });
  try {
    for (const [name, data] of Object.entries(entries)) {
      const target = resolve(staging, name);
      if (!target.startsWith(staging + sep)) {
        throw new Error(`Deployment package of ${fn.name} has an entry outside its root: ${name}`);
      }
      if (name.endsWith("/")) {
        mkdirSync(target, { recursive: true });
        continue;
      }
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, data);
    }
    writeFileSync(join(staging, EXTRACTED_MARKER), `${fn.packagePath}\n`);
    rmSync(dir, { recursive: true, force: true });
    renameSync(staging, dir);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    if (existsSync(join(dir, EXTRACTED_MARKER))) return dir; // another process won the race
    throw error;
  }
  return dir;
}

const bootstraps = new Map<string, string>();

/**
 * Bundles `bootstrap.ts` into `<stateDir>/runtime-bootstrap.js`, once per process and state
 * directory, and answers its path. Children start from this plain JavaScript file, which takes
 * Node a few tens of milliseconds, where a TypeScript loader would take seconds.
 */
export function bootstrapFile(stateDir: string): string {
  const outfile = join(localLayout(stateDir).dir, "runtime-bootstrap.js");
  if (bootstraps.get(outfile) !== undefined && existsSync(outfile)) return outfile;
  const result = buildSync({
    stdin: {
      contents: 'require("./bootstrap").main();',
      resolveDir: __dirname,
      sourcefile: "runtime-bootstrap-entry.js",
      loader: "js",
    },
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    write: false,
    outfile,
    logLevel: "silent",
  });
  mkdirSync(dirname(outfile), { recursive: true });
  const staging = `${outfile}.${process.pid}.tmp`;
  writeFileSync(staging, result.outputFiles[0].contents);
  renameSync(staging, outfile);
  bootstraps.set(outfile, outfile);
  return outfile;
}

/** A log stream name as Lambda makes one: `YYYY/MM/DD/[$LATEST]<32 hex>`. */
export function logStreamName(now: Date = new Date()): string {
  const day = now.toISOString().slice(0, 10).replace(/-/g, "/");
  return `${day}/[$LATEST]${randomBytes(16).toString("hex")}`;
}

/** Inputs of {@link lambdaEnvironment} besides the function. */
export interface EnvironmentSettings {
  readonly taskRoot: string;
  readonly logStreamName: string;
  readonly endpointUrl: string;
  readonly credentials: LocalCredentials;
  readonly nodeModules: string;
  /** `PATH` of the child. */
  readonly path?: string;
}

/**
 * The environment variables of one execution environment: the function's own, then what
 * Lambda's runtime sets (which the function cannot override), dummy credentials, the emulator
 * endpoint and a `NODE_PATH` where the external `@aws-sdk/*` modules resolve.
 */
export function lambdaEnvironment(
  fn: DeployedFunction,
  settings: EnvironmentSettings,
): Record<string, string> {
  const { credentials } = settings;
  const env: Record<string, string> = {
    ...fn.environment,
    PATH: settings.path ?? "/usr/local/bin:/usr/bin:/bin",
    LANG: "en_US.UTF-8",
    TZ: ":UTC",
    LAMBDA_TASK_ROOT: settings.taskRoot,
    _HANDLER: fn.handler,
    AWS_EXECUTION_ENV: `AWS_Lambda_${fn.runtime}`,
    AWS_REGION: fn.region,
    AWS_DEFAULT_REGION: fn.region,
    AWS_LAMBDA_FUNCTION_NAME: fn.name,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMb),
    AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
    AWS_LAMBDA_INITIALIZATION_TYPE: "on-demand",
    AWS_LAMBDA_LOG_GROUP_NAME: fn.logGroupName,
    AWS_LAMBDA_LOG_STREAM_NAME: settings.logStreamName,
    AWS_LAMBDA_LOG_FORMAT: fn.logFormat === "JSON" ? "JSON" : "Text",
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    AWS_ENDPOINT_URL: settings.endpointUrl,
    NODE_PATH: settings.nodeModules,
  };
  if (credentials.sessionToken !== undefined) env.AWS_SESSION_TOKEN = credentials.sessionToken;
  return env;
}
