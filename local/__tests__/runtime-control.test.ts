import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import type { SQSClient } from "@aws-sdk/client-sqs";
import { localLayout } from "../layout";
import { ApiServer } from "../runtime/api";
import { isAlive, readRuntime, RuntimeClient, startRuntime, stopRuntime } from "../runtime/client";
import { ControlServer } from "../runtime/control";
import { LocalRuntime, type RuntimeFactories } from "../runtime/local-runtime";
import { FrontDoor } from "../runtime/front-door";
import type {
  DeliveryRecord,
  DeployedFunction,
  DeployedMapping,
  DeployedStack,
  FunctionInvoker,
  PollerStats,
  QueuePoller,
} from "../runtime/types";

const ACCOUNT = "123456789012";

function deployedFunction(stack: string, name: string, region: string): DeployedFunction {
  return {
    stack,
    address: `aws_lambda_function.${name.replace(/-/g, "_")}`,
    name,
    arn: `arn:aws:lambda:${region}:${ACCOUNT}:function:${name}`,
    region,
    packagePath: `/nowhere/${name}.zip`,
    sourceCodeHash: "hash",
    handler: "index.handler",
    runtime: "nodejs22.x",
    timeoutSeconds: 10,
    memoryMb: 256,
    environment: {},
    logGroupName: `/aws/lambda/${name}`,
  };
}

function mapping(
  stack: string,
  fn: string,
  region: string,
  maxConcurrency: number,
): DeployedMapping {
  const queue = `${fn}-queue`;
  return {
    stack,
    address: `aws_lambda_event_source_mapping.${fn.replace(/-/g, "_")}`,
    uuid: `uuid-${fn}`,
    functionName: fn,
    queueArn: `arn:aws:sqs:${region}:${ACCOUNT}:${queue}`,
    queueUrl: `http://sqs.${region}.localhost/${ACCOUNT}/${queue}`,
    region,
    batchSize: 10,
    batchingWindowSeconds: 0,
    maxConcurrency,
    functionResponseTypes: ["ReportBatchItemFailures"],
    enabled: true,
  };
}

/** A fan-out unit: an active consumer at home, a replica consumer in `other`, an API at home. */
function unit(stack: string, home: string, other: string): DeployedStack {
  const active = `fanout-${stack}-active-consumer`;
  const replica = `fanout-${stack}-replica-consumer-${other}`;
  const api = `fanout-${stack}-api`;
  return {
    stack,
    stackDir: `/deploy/${stack}`,
    region: home,
    functions: [
      deployedFunction(stack, active, home),
      deployedFunction(stack, replica, other),
      deployedFunction(stack, api, home),
    ],
    mappings: [mapping(stack, active, home, 5), mapping(stack, replica, other, 2)],
    apis: [
      {
        stack,
        region: home,
        apiId: `${stack}api0001`.slice(0, 10),
        name: api,
        stageName: "v1",
        routes: [
          { path: "/messages", method: "POST", authorization: "AWS_IAM", functionName: api },
          { path: "/health", method: "GET", authorization: "NONE", functionName: api },
        ],
      },
    ],
  };
}

const STACKS: Record<string, DeployedStack> = {
  "/deploy/primary": unit("primary", "us-east-1", "us-west-2"),
  "/deploy/secondary": unit("secondary", "us-west-2", "us-east-1"),
};

/** Everything the fakes did, in order. */
interface Recorder {
  events: string[];
  functions: { fn: DeployedFunction; endpointUrl: string; maxEnvironments?: number }[];
  pollers: { mapping: DeployedMapping; invoker: FunctionInvoker; sqs: SQSClient }[];
  /** What a poller's stop() waits for. */
  inFlight: Promise<void>;
  deliveries: DeliveryRecord[];
  failFunction?: string;
}

function fakeFactories(recorder: Recorder): RuntimeFactories {
  return {
    readDeployment: async (dir) => {
      const stack = STACKS[dir];
      if (stack === undefined) throw new Error(`no Terraform state in ${dir}`);
      return stack;
    },
    createFunction: (fn, options) => {
      if (fn.name === recorder.failFunction) throw new Error(`cannot extract ${fn.packagePath}`);
      recorder.functions.push({ fn, ...options });
      recorder.events.push(`function ${fn.name}`);
      return {
        function: fn,
        invoke: async () => ({
          ok: true,
          result: { statusCode: 200, body: JSON.stringify({ fn: fn.name }) },
          durationMs: 1,
        }),
        close: async () => void recorder.events.push(`close function ${fn.name}`),
      };
    },
    createPoller: (m, invoker, { sqs }): QueuePoller => {
      recorder.pollers.push({ mapping: m, invoker, sqs });
      let started = false;
      return {
        mapping: m,
        start: () => {
          started = true;
          recorder.events.push(`start poller ${m.functionName}`);
        },
        stop: async () => {
          await recorder.inFlight;
          recorder.events.push(`stop poller ${m.functionName}`);
        },
        stats: (): PollerStats => ({
          functionName: m.functionName,
          queueUrl: m.queueUrl,
          enabled: started,
          invocations: 0,
          processed: 0,
          failed: 0,
          inFlight: 0,
        }),
      };
    },
    createApi: (api, invokerFor) => {
      recorder.events.push(`api ${api.name}`);
      return new ApiServer({ api, invokerFor });
    },
    readDeliveries: (since) =>
      recorder.deliveries.filter((d) => since === undefined || d.at >= since),
  };
}

function request(
  url: string,
  method = "GET",
  body?: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () =>
        resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
      );
    });
    req.on("error", reject);
    req.end(body);
  });
}

async function fakeEmulator(): Promise<{ url: string; server: http.Server; hits: string[] }> {
  const hits: string[] = [];
  const server = http.createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`);
    res.writeHead(200, { "content-type": "application/json" });
    res.end('{"emulator":true}');
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, hits };
}

async function closeEmulator(emulator: { server: http.Server }): Promise<void> {
  emulator.server.closeAllConnections();
  await new Promise((resolve) => emulator.server.close(resolve));
}

describe("LocalRuntime behind its control API", () => {
  let emulator: Awaited<ReturnType<typeof fakeEmulator>>;
  let doors: FrontDoor[];
  let recorder: Recorder;
  let runtime: LocalRuntime;
  let control: ControlServer;
  let client: RuntimeClient;
  let shutdowns: number;

  beforeEach(async () => {
    emulator = await fakeEmulator();
    doors = ["us-east-1", "us-west-2"].map(
      (region) => new FrontDoor({ region, target: emulator.url }),
    );
    await Promise.all(doors.map((door) => door.start()));
    recorder = {
      events: [],
      functions: [],
      pollers: [],
      inFlight: Promise.resolve(),
      deliveries: [],
    };
    runtime = new LocalRuntime({ frontDoors: doors, factories: fakeFactories(recorder) });
    shutdowns = 0;
    control = new ControlServer(runtime, { onShutdown: () => void (shutdowns += 1) });
    await control.start();
    client = new RuntimeClient(control.url, 5_000);
  });

  afterEach(async () => {
    await runtime.unload();
    await control.close();
    await Promise.all(doors.map((door) => door.close()));
    await closeEmulator(emulator);
  });

  const door = (region: string) => doors.find((d) => d.region === region) as FrontDoor;

  it("loads stacks: functions and pollers on their region's front door, APIs served", async () => {
    const loaded = await client.load(["/deploy/primary", "/deploy/secondary"]);
    expect(loaded.functions).toBe(6);
    expect(loaded.mappings).toBe(4);
    expect(Object.keys(loaded.apis)).toEqual(["primary", "secondary"]);
    expect(loaded.apis.primary.region).toBe("us-east-1");
    expect(loaded.apis.primary.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);

    const created = Object.fromEntries(recorder.functions.map((f) => [f.fn.name, f]));
    expect(created["fanout-primary-active-consumer"]).toMatchObject({
      endpointUrl: door("us-east-1").url,
      maxEnvironments: 5,
    });
    expect(created["fanout-primary-replica-consumer-us-west-2"]).toMatchObject({
      endpointUrl: door("us-west-2").url,
      maxEnvironments: 2,
    });
    expect(created["fanout-primary-api"].maxEnvironments).toBeUndefined();

    for (const { mapping: m, invoker, sqs } of recorder.pollers) {
      expect(invoker.function.name).toBe(m.functionName);
      const endpoint = await (sqs.config.endpoint as () => Promise<{ port?: number }>)();
      expect({ region: m.region, port: endpoint.port }).toEqual({
        region: m.region,
        port: door(m.region).port,
      });
      expect(await sqs.config.region()).toBe(m.region);
    }
    expect(recorder.events.filter((e) => e.startsWith("start poller"))).toHaveLength(4);

    const health = await request(`${loaded.apis.secondary.url}/health`);
    expect(health).toEqual({ status: 200, body: '{"fn":"fanout-secondary-api"}' });

    const status = await client.status();
    expect(status.regions).toEqual({ "us-east-1": "up", "us-west-2": "up" });
    expect(status.pollers.map((p) => p.functionName)).toHaveLength(4);
    expect(status.apis).toEqual(loaded.apis);
  });

  it("replaces what was loaded on a second load: old pollers stopped, functions and APIs closed", async () => {
    const first = await client.load(["/deploy/primary"]);
    recorder.events = [];
    const second = await client.load(["/deploy/secondary"]);
    expect(recorder.events.slice(0, 2)).toEqual([
      "stop poller fanout-primary-active-consumer",
      "stop poller fanout-primary-replica-consumer-us-west-2",
    ]);
    expect(recorder.events).toContain("close function fanout-primary-api");
    await expect(request(`${first.apis.primary.url}/health`)).rejects.toMatchObject({
      code: "ECONNREFUSED",
    });
    expect(Object.keys(second.apis)).toEqual(["secondary"]);
    expect((await client.status()).pollers.map((p) => p.functionName)).toEqual([
      "fanout-secondary-active-consumer",
      "fanout-secondary-replica-consumer-us-east-1",
    ]);
  });

  it("takes a region down and up: its front door and APIs refuse, then serve on the same ports", async () => {
    const { apis } = await client.load(["/deploy/primary", "/deploy/secondary"]);
    expect(await client.regionDown("us-east-1")).toEqual({ region: "us-east-1", state: "down" });
    expect((await client.status()).regions).toEqual({ "us-east-1": "down", "us-west-2": "up" });
    await expect(request(`${door("us-east-1").url}/`)).rejects.toMatchObject({
      code: "ECONNREFUSED",
    });
    await expect(request(`${apis.primary.url}/health`)).rejects.toMatchObject({
      code: "ECONNREFUSED",
    });
    // The other region carries on.
    expect((await request(`${door("us-west-2").url}/`)).status).toBe(200);
    expect((await request(`${apis.secondary.url}/health`)).status).toBe(200);

    expect(await client.regionUp("us-east-1")).toEqual({ region: "us-east-1", state: "up" });
    expect((await request(`${door("us-east-1").url}/`)).status).toBe(200);
    expect((await request(`${apis.primary.url}/health`)).status).toBe(200);
    expect((await client.status()).apis).toEqual(apis);
  });

  it("starts the API of a region that is down as down", async () => {
    await client.regionDown("us-west-2");
    const { apis } = await client.load(["/deploy/secondary"]);
    await expect(request(`${apis.secondary.url}/health`)).rejects.toMatchObject({
      code: "ECONNREFUSED",
    });
    await client.regionUp("us-west-2");
    expect((await request(`${apis.secondary.url}/health`)).status).toBe(200);
  });

  it("answers 404 JSON for a region it does not serve", async () => {
    const reply = await request(`${control.url}/regions/eu-west-1/down`, "POST");
    expect(reply.status).toBe(404);
    expect(JSON.parse(reply.body)).toEqual({
      message: "region eu-west-1 is not served by this runtime (regions: us-east-1, us-west-2)",
    });
    await expect(client.regionUp("eu-west-1")).rejects.toMatchObject({ status: 404 });
  });

  it("unloads after the invocations in flight: pollers stop first, then APIs and functions", async () => {
    await client.load(["/deploy/primary"]);
    let finish = (): void => undefined;
    recorder.inFlight = new Promise((resolve) => (finish = resolve));
    recorder.events = [];
    let unloaded = false;
    const unloading = client.unload().then(() => (unloaded = true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(unloaded).toBe(false);
    expect(recorder.events).toEqual([]);
    finish();
    await unloading;
    const firstClose = recorder.events.findIndex((e) => e.startsWith("close function"));
    const lastStop = recorder.events.map((e) => e.startsWith("stop poller")).lastIndexOf(true);
    expect(lastStop).toBe(1);
    expect(firstClose).toBeGreaterThan(lastStop);
    expect((await client.status()).pollers).toEqual([]);
    expect((await client.status()).apis).toEqual({});
  });

  it("answers the journal's deliveries, since a time when asked", async () => {
    const record = (at: number): DeliveryRecord => ({
      at,
      stack: "primary",
      functionName: "fanout-primary-active-consumer",
      region: "us-east-1",
      queueArn: "arn:aws:sqs:us-east-1:123456789012:q",
      sqsMessageId: `m-${at}`,
      receiveCount: 1,
      outcome: "processed",
    });
    recorder.deliveries = [record(100), record(200), record(300)];
    expect((await client.deliveries()).map((d) => d.at)).toEqual([100, 200, 300]);
    expect((await client.deliveries(200)).map((d) => d.at)).toEqual([200, 300]);
    const bad = await request(`${control.url}/deliveries?since=yesterday`);
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body)).toEqual({
      message: 'since must be epoch milliseconds, got "yesterday"',
    });
  });

  it.each([
    ["not JSON", "{", "request body is not JSON"],
    ["no list", "{}", 'POST /load takes {"stackDirs": [absolute stack directories]}, got {}'],
    [
      "relative dirs",
      '{"stackDirs":["cdktf.out/stacks/primary"]}',
      "stack directories must be absolute: cdktf.out/stacks/primary",
    ],
    [
      "a dir without state",
      '{"stackDirs":["/deploy/nothing"]}',
      "cannot read the deployment in /deploy/nothing: no Terraform state in /deploy/nothing",
    ],
  ])("answers 400 JSON to a load with %s", async (_what, body, message) => {
    const reply = await request(`${control.url}/load`, "POST", body);
    expect(reply.status).toBe(400);
    expect(JSON.parse(reply.body)).toEqual({ message });
  });

  it("answers 404 and 405 JSON for unknown endpoints and methods, never a stack trace", async () => {
    const unknown = await request(`${control.url}/nope`);
    expect(unknown.status).toBe(404);
    expect(Object.keys(JSON.parse(unknown.body))).toEqual(["message"]);
    const wrongMethod = await request(`${control.url}/load`);
    expect(wrongMethod.status).toBe(405);
    expect(JSON.parse(wrongMethod.body)).toEqual({ message: "GET /load is not allowed: use POST" });
  });

  it("refuses a stack with a region it does not serve, and leaves nothing running", async () => {
    const odd = unit("third", "eu-west-1", "us-east-1");
    STACKS["/deploy/third"] = odd;
    try {
      await expect(client.load(["/deploy/third"])).rejects.toMatchObject({
        status: 400,
        message: expect.stringContaining("function fanout-third-active-consumer is in eu-west-1"),
      });
      expect(recorder.functions).toEqual([]);
    } finally {
      delete STACKS["/deploy/third"];
    }
  });

  it("stops what it started when a load fails part-way", async () => {
    recorder.failFunction = "fanout-secondary-api";
    await expect(client.load(["/deploy/primary", "/deploy/secondary"])).rejects.toMatchObject({
      status: 500,
      message: expect.stringContaining("cannot extract /nowhere/fanout-secondary-api.zip"),
    });
    const created = recorder.functions.map((f) => `close function ${f.fn.name}`);
    expect(created.length).toBeGreaterThan(0);
    for (const close of created) expect(recorder.events).toContain(close);
    expect((await client.status()).apis).toEqual({});
  });

  it("unloads on POST /shutdown, answers, then asks the process to exit", async () => {
    await client.load(["/deploy/primary"]);
    await client.shutdown();
    await new Promise((resolve) => setImmediate(resolve));
    expect(shutdowns).toBe(1);
    expect(recorder.events).toContain("close function fanout-primary-api");
    await expect(client.load(["/deploy/primary"])).rejects.toMatchObject({ status: 503 });
  });
});

describe("the runtime process (main.ts), started and stopped by client.ts", () => {
  let emulator: Awaited<ReturnType<typeof fakeEmulator>>;
  let stateDir: string;

  beforeAll(async () => {
    emulator = await fakeEmulator();
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "runtime-process-"));
  });

  afterAll(async () => {
    await stopRuntime(stateDir).catch(() => undefined);
    await closeEmulator(emulator);
    fs.rmSync(stateDir, { recursive: true, force: true });
  });

  it("writes runtime.json, proxies each region to the emulator, takes regions down and up, stops", async () => {
    const layout = localLayout(stateDir);
    const info = await startRuntime({
      stateDir,
      emulatorUrl: emulator.url,
      regions: ["us-east-1", "us-west-2"],
    });
    expect(info.pid).not.toBe(process.pid);
    expect(isAlive(info.pid)).toBe(true);
    expect(JSON.parse(fs.readFileSync(layout.runtimeInfo, "utf8"))).toEqual(info);
    expect(fs.readFileSync(layout.runtimePid, "utf8").trim()).toBe(String(info.pid));
    expect(readRuntime(stateDir)).toEqual(info);
    expect(Object.keys(info.endpoints)).toEqual(["us-east-1", "us-west-2"]);
    await expect(
      startRuntime({ stateDir, emulatorUrl: emulator.url, regions: ["us-east-1"] }),
    ).rejects.toThrow(`a local runtime already runs for ${layout.dir} (pid ${info.pid}`);

    const client = new RuntimeClient(info.controlUrl, 5_000);
    expect(await client.status()).toEqual({
      regions: { "us-east-1": "up", "us-west-2": "up" },
      pollers: [],
      apis: {},
    });
    const east = info.endpoints["us-east-1"];
    expect(await request(`${east}/?Action=ListQueues`)).toEqual({
      status: 200,
      body: '{"emulator":true}',
    });
    expect(emulator.hits).toContain("GET /?Action=ListQueues");

    await client.regionDown("us-east-1");
    await expect(request(`${east}/`)).rejects.toMatchObject({ code: "ECONNREFUSED" });
    expect((await request(`${info.endpoints["us-west-2"]}/`)).status).toBe(200);
    await client.regionUp("us-east-1");
    expect((await request(`${east}/`)).status).toBe(200);

    expect(await stopRuntime(stateDir)).toBe(true);
    expect(isAlive(info.pid)).toBe(false);
    expect(fs.existsSync(layout.runtimeInfo)).toBe(false);
    expect(fs.existsSync(layout.runtimePid)).toBe(false);
    expect(readRuntime(stateDir)).toBeUndefined();
    await expect(request(`${east}/`)).rejects.toMatchObject({ code: "ECONNREFUSED" });
    expect(fs.readFileSync(layout.runtimeLog, "utf8")).toMatch(
      /stopping \(POST \/shutdown\)[\s\S]*stopped\n/,
    );
    expect(await stopRuntime(stateDir)).toBe(false);
  }, 60_000);

  it("unloads and exits on SIGTERM, removing its runtime.json", async () => {
    const layout = localLayout(stateDir);
    const info = await startRuntime({
      stateDir,
      emulatorUrl: emulator.url,
      regions: ["us-west-2"],
    });
    process.kill(info.pid, "SIGTERM");
    const deadline = Date.now() + 10_000;
    while (isAlive(info.pid) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(isAlive(info.pid)).toBe(false);
    expect(fs.existsSync(layout.runtimeInfo)).toBe(false);
    expect(fs.readFileSync(layout.runtimeLog, "utf8")).toMatch(
      /stopping \(SIGTERM\)[\s\S]*stopped\n/,
    );
    expect(await stopRuntime(stateDir)).toBe(false);
  }, 30_000);

  it("says why when the runtime cannot start, with the log's tail", async () => {
    await expect(
      startRuntime({
        stateDir,
        emulatorUrl: "ftp://nope",
        regions: ["us-east-1"],
        timeoutMs: 20_000,
      }),
    ).rejects.toThrow(
      /the local runtime exited with code 2; .*runtime\.log:\n[\s\S]*expected the emulator's http:\/\/ URL/,
    );
  }, 30_000);
});
