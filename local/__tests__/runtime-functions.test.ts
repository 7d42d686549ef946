import { fork } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CloudWatchClient, PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { mockClient } from "aws-sdk-client-mock";
import { zipSync } from "fflate";
import { consoleLine, errorResponse, splitHandler } from "../runtime/bootstrap";
import { createFunctionHost, type FunctionHost } from "../runtime/functions";
import {
  DEFAULT_CREDENTIALS,
  bootstrapFile,
  extractPackage,
  lambdaEnvironment,
  packageDir,
} from "../runtime/function-package";
import type { DeployedFunction } from "../runtime/types";

/** A test function: dispatches on `event.action`. */
const HANDLER_SOURCE = `
exports.handler = async (event, context) => {
  switch (event.action) {
    case "echo":
      console.log("echo", event.value);
      return {
        pid: process.pid,
        value: event.value,
        context: {
          awsRequestId: context.awsRequestId,
          functionName: context.functionName,
          functionVersion: context.functionVersion,
          invokedFunctionArn: context.invokedFunctionArn,
          memoryLimitInMB: context.memoryLimitInMB,
          logGroupName: context.logGroupName,
          logStreamName: context.logStreamName,
          remaining: context.getRemainingTimeInMillis(),
        },
        env: process.env,
        sourceMaps: process.sourceMapsEnabled,
        cwd: process.cwd(),
      };
    case "throw":
      throw new TypeError("bad input " + event.value);
    case "sleep":
      await new Promise((resolve) => setTimeout(resolve, event.ms));
      return { pid: process.pid, slept: event.ms };
    case "crash":
      process.exit(3);
    case "emf":
      process.stdout.write(JSON.stringify(event.emf) + "\\n");
      return { pid: process.pid };
    case "undefined":
      return undefined;
    default:
      throw new Error("unknown action " + event.action);
  }
};
`;

const CALLBACK_SOURCE = `
exports.handler = (event, context, callback) => {
  setTimeout(() => callback(null, { doubled: event.value * 2 }), 5);
};
`;

const INIT_ERROR_SOURCE = `throw new RangeError("no config at init");`;

const STARTED = Date.now();

describe("local function host", () => {
  let dir: string;
  let stateDir: string;
  let cloudWatch: CloudWatchClient;
  let cloudWatchMock: ReturnType<typeof mockClient>;
  const warnings: string[] = [];
  const hosts: FunctionHost[] = [];

  function deployed(
    name: string,
    files: Record<string, string>,
    extra: Partial<DeployedFunction> = {},
  ): DeployedFunction {
    const packagePath = join(dir, `${name}.zip`);
    const entries = Object.fromEntries(
      Object.entries(files).map(([file, text]) => [file, new TextEncoder().encode(text)]),
    );
    writeFileSync(packagePath, zipSync(entries));
    return {
      stack: "primary",
      address: `aws_lambda_function.${name}`,
      name,
      arn: `arn:aws:lambda:us-west-2:123456789012:function:${name}`,
      region: "us-west-2",
      packagePath,
      sourceCodeHash: `hash+/${name}=`,
      handler: "index.handler",
      runtime: "nodejs22.x",
      timeoutSeconds: 1,
      memoryMb: 256,
      environment: {
        DEPLOYED: "yes",
        AWS_REGION: "overridden",
        NODE_OPTIONS: "--enable-source-maps",
      },
      logGroupName: `/aws/lambda/${name}`,
      logFormat: "JSON",
      ...extra,
    };
  }

  function host(fn: DeployedFunction, maxEnvironments = 2): FunctionHost {
    const created = createFunctionHost(fn, {
      stateDir,
      endpointUrl: "http://127.0.0.1:1",
      maxEnvironments,
      cloudWatch,
      onWarning: (message) => warnings.push(message),
    });
    hosts.push(created);
    return created;
  }

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "fanout-functions-"));
    stateDir = join(dir, "state");
    cloudWatch = new CloudWatchClient({ region: "us-west-2", credentials: DEFAULT_CREDENTIALS });
    cloudWatchMock = mockClient(cloudWatch);
    cloudWatchMock.on(PutMetricDataCommand).resolves({});
  });

  afterAll(async () => {
    await Promise.all(hosts.map((h) => h.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  describe("one function", () => {
    let fn: DeployedFunction;
    let main: FunctionHost;

    beforeAll(() => {
      fn = deployed("fanout-test-consumer", { "index.js": HANDLER_SOURCE });
      main = host(fn);
    });

    it("extracts the package into functions/<name>/<safe code hash>", () => {
      const where = packageDir(stateDir, fn);
      expect(where).toBe(
        join(stateDir, "functions", "fanout-test-consumer", "hash__fanout-test-consumer_"),
      );
      expect(readFileSync(join(where, "index.js"), "utf8")).toBe(HANDLER_SOURCE);
      expect(extractPackage(stateDir, fn)).toBe(where);
    });

    it("passes a Lambda context and Lambda's environment, deployed variables included", async () => {
      const requestId = "11111111-2222-3333-4444-555555555555";
      const answer = await main.invoke({ action: "echo", value: 7 }, requestId);
      if (!answer.ok) throw new Error(answer.errorMessage);
      const result = answer.result as {
        value: number;
        context: Record<string, unknown>;
        env: Record<string, string>;
        sourceMaps: boolean;
        cwd: string;
      };
      expect(result.value).toBe(7);
      expect(result.context).toMatchObject({
        awsRequestId: requestId,
        functionName: fn.name,
        functionVersion: "$LATEST",
        invokedFunctionArn: fn.arn,
        memoryLimitInMB: "256",
        logGroupName: fn.logGroupName,
      });
      expect(result.context.logStreamName).toMatch(
        /^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32}$/,
      );
      expect(result.context.remaining).toBeGreaterThan(0);
      expect(result.context.remaining).toBeLessThanOrEqual(1000);
      const root = packageDir(stateDir, fn);
      expect(result.env).toMatchObject({
        DEPLOYED: "yes",
        AWS_REGION: "us-west-2",
        AWS_DEFAULT_REGION: "us-west-2",
        AWS_LAMBDA_FUNCTION_NAME: fn.name,
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "256",
        AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
        AWS_LAMBDA_LOG_GROUP_NAME: fn.logGroupName,
        AWS_LAMBDA_LOG_STREAM_NAME: result.context.logStreamName,
        AWS_LAMBDA_LOG_FORMAT: "JSON",
        AWS_EXECUTION_ENV: "AWS_Lambda_nodejs22.x",
        _HANDLER: "index.handler",
        LAMBDA_TASK_ROOT: root,
        TZ: ":UTC",
        NODE_OPTIONS: "--enable-source-maps",
        AWS_ENDPOINT_URL: "http://127.0.0.1:1",
        AWS_ACCESS_KEY_ID: DEFAULT_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: DEFAULT_CREDENTIALS.secretAccessKey,
        AWS_SESSION_TOKEN: DEFAULT_CREDENTIALS.sessionToken,
        NODE_PATH: join(__dirname, "..", "..", "node_modules"),
      });
      // Nothing of the host process leaks in (a Lambda environment is clean).
      expect(result.env.JEST_WORKER_ID).toBeUndefined();
      expect(result.sourceMaps).toBe(true);
      expect(result.cwd).toBe(root);
    });

    it("answers a thrown error as errorType and errorMessage, and keeps the environment", async () => {
      const before = await main.invoke({ action: "sleep", ms: 0 });
      const answer = await main.invoke({ action: "throw", value: 3 });
      expect(answer).toMatchObject({
        ok: false,
        errorType: "TypeError",
        errorMessage: "bad input 3",
      });
      const after = await main.invoke({ action: "sleep", ms: 0 });
      expect(before.ok && after.ok && (after.result as { pid: number }).pid).toBe(
        before.ok && (before.result as { pid: number }).pid,
      );
    });

    it("answers null for a handler that returns nothing", async () => {
      expect(await main.invoke({ action: "undefined" })).toMatchObject({ ok: true, result: null });
    });

    it("runs one invocation per environment, at most maxEnvironments at a time, the rest queued", async () => {
      const started = performance.now();
      const pending = Array.from({ length: 4 }, () => main.invoke({ action: "sleep", ms: 300 }));
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(main.stats()).toMatchObject({ environments: 2, busy: 2, queued: 2 });
      const answers = await Promise.all(pending);
      expect(performance.now() - started).toBeGreaterThanOrEqual(590);
      const pids = new Set(answers.map((a) => (a.ok ? (a.result as { pid: number }).pid : 0)));
      expect(pids.size).toBe(2);
      expect(main.stats()).toMatchObject({ environments: 2, busy: 0, queued: 0 });
    });

    it("kills an environment that runs past the timeout, answers Sandbox.Timedout and replaces it", async () => {
      const started = performance.now();
      const answer = await main.invoke({ action: "sleep", ms: 5000 }, "timeout-request");
      const elapsed = performance.now() - started;
      expect(answer).toMatchObject({
        ok: false,
        errorType: "Sandbox.Timedout",
        errorMessage: "RequestId: timeout-request Error: Task timed out after 1.00 seconds",
      });
      expect(elapsed).toBeGreaterThanOrEqual(990);
      expect(elapsed).toBeLessThan(5000); // killed, not left to finish its 5 s
      expect(main.stats().environments).toBe(1);
      expect(await main.invoke({ action: "sleep", ms: 0 })).toMatchObject({ ok: true });
    });

    it("answers Runtime.ExitError for an environment that exits, and the next invocation gets a new one", async () => {
      const before = await main.invoke({ action: "sleep", ms: 0 });
      const answer = await main.invoke({ action: "crash" });
      expect(answer).toMatchObject({ ok: false, errorType: "Runtime.ExitError" });
      expect(!answer.ok && answer.errorMessage).toMatch(
        /Runtime exited with error: exit status 3$/,
      );
      // Ask twice: two environments may be warm.
      const after = await Promise.all([
        main.invoke({ action: "sleep", ms: 50 }),
        main.invoke({ action: "sleep", ms: 50 }),
      ]);
      expect(after.every((a) => a.ok)).toBe(true);
      expect(before.ok).toBe(true);
    });

    it("appends every line, the platform's START/END/REPORT around the function's, to logs/<name>.log", async () => {
      const requestId = "log-request";
      await main.invoke({ action: "echo", value: "logged" }, requestId);
      const lines = readFileSync(join(stateDir, "logs", `${fn.name}.log`), "utf8")
        .trimEnd()
        .split("\n");
      const mine = lines.filter((line) => line.includes(requestId)).map((line) => JSON.parse(line));
      expect(mine.map((entry) => entry.type ?? entry.level)).toEqual([
        "platform.start",
        "INFO",
        "platform.runtimeDone",
        "platform.report",
      ]);
      expect(mine[1]).toMatchObject({ requestId, message: "echo logged" });
      expect(mine[3].record.metrics).toMatchObject({ memorySizeMB: 256 });
      expect(mine[3].record.metrics.maxMemoryUsedMB).toBeGreaterThan(0);
    });

    it("forwards EMF lines as PutMetricData and reports invalid EMF without forwarding it", async () => {
      cloudWatchMock.resetHistory();
      warnings.length = 0;
      const document = {
        _aws: {
          Timestamp: STARTED,
          CloudWatchMetrics: [
            {
              Namespace: "Test",
              Dimensions: [["service"]],
              Metrics: [{ Name: "Latency", Unit: "Milliseconds" }],
            },
          ],
        },
        service: "svc",
        Latency: [4, 4, 6],
      };
      await main.invoke({ action: "emf", emf: document });
      await main.invoke({ action: "emf", emf: { ...document, Latency: "four" } });
      await main.flushMetrics();
      const calls = cloudWatchMock.commandCalls(PutMetricDataCommand);
      expect(calls).toHaveLength(1);
      expect(calls[0].args[0].input).toEqual({
        Namespace: "Test",
        MetricData: [
          {
            MetricName: "Latency",
            Dimensions: [{ Name: "service", Value: "svc" }],
            Timestamp: new Date(STARTED),
            Unit: "Milliseconds",
            StorageResolution: 60,
            Values: [4, 6],
            Counts: [2, 1],
          },
        ],
      });
      expect(warnings).toEqual([
        `${fn.name}: EMF line ignored: metric Latency is "four"; expected a number or a list of numbers`,
      ]);
    });

    it("records each environment's cold start and its init duration", () => {
      const { initDurationsMs, coldStarts } = main.stats();
      expect(coldStarts).toBeGreaterThanOrEqual(3);
      expect(initDurationsMs.length).toBeGreaterThanOrEqual(3);
      for (const ms of initDurationsMs) expect(ms).toBeGreaterThan(0);
    });
  });

  it("supports a callback-style handler", async () => {
    const fn = deployed(
      "fanout-test-callback",
      { "index.js": CALLBACK_SOURCE },
      { logFormat: "Text" },
    );
    const answer = await host(fn, 1).invoke({ value: 21 });
    expect(answer).toMatchObject({ ok: true, result: { doubled: 42 } });
    const log = readFileSync(join(stateDir, "logs", `${fn.name}.log`), "utf8");
    expect(log).toMatch(/^START RequestId: \S+ Version: \$LATEST$/m);
    expect(log).toMatch(
      /^REPORT RequestId: \S+\tDuration: [\d.]+ ms\tBilled Duration: \d+ ms\tMemory Size: 256 MB\tMax Memory Used: \d+ MB\tInit Duration: [\d.]+ ms$/m,
    );
  });

  it("answers an init error with its type, and a missing export as Runtime.HandlerNotFound", async () => {
    const broken = host(deployed("fanout-test-init-error", { "index.js": INIT_ERROR_SOURCE }), 1);
    expect(await broken.invoke({})).toMatchObject({
      ok: false,
      errorType: "RangeError",
      errorMessage: "no config at init",
    });
    const missing = host(
      deployed("fanout-test-no-export", { "index.js": "exports.other = 1;" }),
      1,
    );
    expect(await missing.invoke({})).toMatchObject({
      ok: false,
      errorType: "Runtime.HandlerNotFound",
    });
    expect(missing.stats().environments).toBe(0);
  });

  it("throws when the deployment package is missing", () => {
    const fn = {
      ...deployed("fanout-test-missing", { "index.js": "" }),
      packagePath: join(dir, "nope.zip"),
      sourceCodeHash: "other",
    };
    expect(() => createFunctionHost(fn, { stateDir, endpointUrl: "http://127.0.0.1:1" })).toThrow(
      `Deployment package of fanout-test-missing not found: ${join(dir, "nope.zip")}`,
    );
  });

  it("ends an environment whose host went away (no orphans when the runtime process dies)", async () => {
    // A timer left running at init (as a keep-alive socket would be) keeps a process alive.
    const source = "setInterval(() => undefined, 60000); exports.handler = async () => 1;";
    const fn = deployed("fanout-test-orphan", { "index.js": source });
    const taskRoot = extractPackage(stateDir, fn);
    const child = fork(bootstrapFile(stateDir), [], {
      cwd: taskRoot,
      env: { LAMBDA_TASK_ROOT: taskRoot, _HANDLER: "index.handler", PATH: process.env.PATH ?? "" },
      stdio: ["ignore", "ignore", "ignore", "ipc"],
    });
    const exited = new Promise<number | null>((resolve) =>
      child.on("exit", (code) => resolve(code)),
    );
    await new Promise((resolve) => child.once("message", resolve));
    child.disconnect();
    expect(await exited).toBe(0);
  });

  it("answers Runtime.HostClosed after close, and close ends every environment", async () => {
    const fn = deployed("fanout-test-closing", { "index.js": HANDLER_SOURCE });
    const closing = createFunctionHost(fn, {
      stateDir,
      endpointUrl: "http://127.0.0.1:1",
      cloudWatch,
    });
    await closing.invoke({ action: "sleep", ms: 0 });
    await closing.close();
    expect(closing.stats().environments).toBe(0);
    expect(await closing.invoke({ action: "sleep", ms: 0 })).toMatchObject({
      ok: false,
      errorType: "Runtime.HostClosed",
    });
    expect(existsSync(join(stateDir, "runtime-bootstrap.js"))).toBe(true);
  });
});

describe("lambdaEnvironment", () => {
  it("lets the runtime's variables win over deployed ones of the same name", () => {
    const env = lambdaEnvironment(
      {
        stack: "s",
        address: "a",
        name: "f",
        arn: "arn:aws:lambda:eu-west-1:1:function:f",
        region: "eu-west-1",
        packagePath: "/p.zip",
        sourceCodeHash: "h",
        handler: "index.handler",
        runtime: "nodejs22.x",
        timeoutSeconds: 3,
        memoryMb: 128,
        environment: { AWS_LAMBDA_FUNCTION_NAME: "spoofed", MINE: "1" },
        logGroupName: "/aws/lambda/f",
      },
      {
        taskRoot: "/task",
        logStreamName: "stream",
        endpointUrl: "http://x",
        credentials: { accessKeyId: "a", secretAccessKey: "b" },
        nodeModules: "/nm",
      },
    );
    expect(env).toMatchObject({
      AWS_LAMBDA_FUNCTION_NAME: "f",
      MINE: "1",
      AWS_LAMBDA_LOG_FORMAT: "Text",
    });
    expect(env.AWS_SESSION_TOKEN).toBeUndefined();
  });
});

describe("bootstrap helpers", () => {
  it("formats console calls as Lambda's runtime does, as text or JSON", () => {
    const now = new Date("2024-11-24T03:00:00.000Z");
    expect(consoleLine("Text", "INFO", "req-1", ["a %d", 1, { b: 2 }], now)).toBe(
      "2024-11-24T03:00:00.000Z\treq-1\tINFO\ta 1 { b: 2 }",
    );
    expect(JSON.parse(consoleLine("JSON", "WARN", "req-1", ["careful"], now))).toEqual({
      timestamp: "2024-11-24T03:00:00.000Z",
      level: "WARN",
      requestId: "req-1",
      message: "careful",
    });
    expect(
      JSON.parse(consoleLine("JSON", "ERROR", undefined, [new TypeError("x")], now)),
    ).toMatchObject({
      level: "ERROR",
      errorType: "TypeError",
      errorMessage: "x",
    });
  });

  it("splits a handler into module and export, and throws when it has no export", () => {
    expect(splitHandler("src/index.handler")).toEqual({ module: "src/index", name: "handler" });
    expect(() => splitHandler("index")).toThrow("Bad handler index: expected <file>.<export>");
  });

  it("turns a thrown non-error into an error response", () => {
    expect(errorResponse("boom")).toEqual({
      errorType: "string",
      errorMessage: "boom",
      stackTrace: [],
    });
  });
});
