/**
 * The local runtime and its control API.
 *
 * `LocalRuntime` runs what one or more deployed stacks need on this machine: a function host per
 * deployed function, a queue poller per event source mapping and an API server per REST API,
 * every one of them talking to the emulator through its region's front door. It takes every
 * part from injected factories, so tests run it in-process with fakes.
 *
 * `ControlServer` is its HTTP JSON API, which the launcher, the tests and the CLI call:
 *
 *   POST /load                 {"stackDirs": [...]} -> LoadResult (replaces what was loaded)
 *   POST /unload               stops pollers (in-flight invocations finish), closes APIs, functions
 *   POST /regions/<r>/down     the region's front door and APIs refuse connections
 *   POST /regions/<r>/up       ... and accept them again, on the same ports
 *   GET  /status               RuntimeStatus
 *   GET  /deliveries?since=ms  DeliveryRecord[]: the journal's records at or after `since`
 *   POST /shutdown             unloads, answers, then the process exits
 *
 * Errors are JSON `{"message": ...}` with a 4xx (the caller's mistake) or 5xx status, never a
 * stack trace.
 */
import * as http from "node:http";
import type * as net from "node:net";
import { isAbsolute } from "node:path";
import { SQSClient } from "@aws-sdk/client-sqs";
import { listen, stopListening } from "./listener";
import type {
  DeliveryRecord,
  DeployedApi,
  DeployedFunction,
  DeployedMapping,
  DeployedStack,
  FunctionInvoker,
  LoadResult,
  QueuePoller,
  RuntimeStatus,
} from "./types";

/** What the runtime needs of a region's front door. */
export interface RegionDoor {
  readonly region: string;
  /** Endpoint of every AWS service of the region. */
  readonly url: string;
  down(): Promise<void>;
  up(): Promise<void>;
}

/** What the runtime needs of a served REST API (`ApiServer`). */
export interface ServedApi {
  readonly api: DeployedApi;
  /** The stage's base URL. */
  readonly url: string;
  start(): Promise<void>;
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

/** Credentials for every call to the emulator: it accepts any. */
export const LOCAL_CREDENTIALS = { accessKeyId: "testing", secretAccessKey: "testing" } as const;

/** The parts of the runtime, injected. */
export interface RuntimeFactories {
  /** Reads one deployed stack (Terraform state and synthesized JSON) from its directory. */
  readDeployment(stackDir: string): Promise<DeployedStack>;
  /**
   * A host for one function; its AWS SDK calls go to `endpointUrl`. `maxEnvironments`, for a
   * consumer, is its mapping's maximum concurrency; undefined for other functions.
   */
  createFunction(
    fn: DeployedFunction,
    options: { readonly endpointUrl: string; readonly maxEnvironments?: number },
  ): FunctionInvoker | Promise<FunctionInvoker>;
  /** A poller feeding one mapping's queue to its function. */
  createPoller(
    mapping: DeployedMapping,
    invoker: FunctionInvoker,
    options: { readonly sqs: SQSClient },
  ): QueuePoller;
  /** A server for one REST API; `invokerFor` finds the function of a route. */
  createApi(api: DeployedApi, invokerFor: (functionName: string) => FunctionInvoker): ServedApi;
  /** The delivery journal's records at or after `since` (epoch ms), all without. */
  readDeliveries(since?: number): readonly DeliveryRecord[] | Promise<readonly DeliveryRecord[]>;
  /**
   * The SQS client of a region's pollers.
   * @default - an SQSClient for `endpointUrl` with {@link LOCAL_CREDENTIALS}
   */
  createSqsClient?(region: string, endpointUrl: string): SQSClient;
}

export interface LocalRuntimeOptions {
  /** One door per region the runtime serves. */
  readonly frontDoors: readonly RegionDoor[];
  readonly factories: RuntimeFactories;
  /** Where the runtime says what it does, one line at a time. */
  readonly log?: (line: string) => void;
}

/** An error with the HTTP status the control API answers for it. */
export class RuntimeError extends Error {
  override readonly name = "RuntimeError";
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** `POST /regions/<r>/down|up`'s answer. */
export interface RegionState {
  readonly region: string;
  readonly state: "up" | "down";
}

interface Loaded {
  readonly stacks: readonly DeployedStack[];
  readonly functions: readonly FunctionInvoker[];
  readonly pollers: readonly QueuePoller[];
  readonly apis: readonly ServedApi[];
  readonly sqsClients: readonly SQSClient[];
  readonly apiUrls: LoadResult["apis"];
}

const EMPTY: Loaded = {
  stacks: [],
  functions: [],
  pollers: [],
  apis: [],
  sqsClients: [],
  apiUrls: {},
};

function functionKey(region: string, name: string): string {
  return `${region}/${name}`;
}

function defaultSqsClient(region: string, endpointUrl: string): SQSClient {
  return new SQSClient({ region, endpoint: endpointUrl, credentials: LOCAL_CREDENTIALS });
}

/** Runs the loaded stacks' functions, pollers and APIs; see the module comment. */
export class LocalRuntime {
  private readonly doors: ReadonlyMap<string, RegionDoor>;
  private readonly factories: RuntimeFactories;
  private readonly log: (line: string) => void;
  private readonly regionStates = new Map<string, "up" | "down">();
  private loaded: Loaded = EMPTY;
  /** Load, unload and region changes run one at a time, in order. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(options: LocalRuntimeOptions) {
    const doors = new Map<string, RegionDoor>();
    for (const door of options.frontDoors) {
      if (doors.has(door.region)) throw new Error(`two front doors for region ${door.region}`);
      doors.set(door.region, door);
      this.regionStates.set(door.region, "up");
    }
    this.doors = doors;
    this.factories = options.factories;
    this.log = options.log ?? (() => undefined);
  }

  /** The regions served, in order. */
  get regions(): string[] {
    return [...this.doors.keys()];
  }

  private serialized<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /**
   * Stops whatever was loaded, then reads every stack directory and runs its functions, pollers
   * and APIs. On any failure, everything started is stopped again and the error is thrown.
   *
   * @throws RuntimeError 400 for a bad list, a stack that cannot be read, a region not served
   */
  load(stackDirs: readonly string[]): Promise<LoadResult> {
    return this.serialized(async () => {
      await this.stopLoaded();
      const stacks: DeployedStack[] = [];
      for (const dir of stackDirs) {
        try {
          stacks.push(await this.factories.readDeployment(dir));
        } catch (error) {
          throw new RuntimeError(400, `cannot read the deployment in ${dir}: ${messageOf(error)}`);
        }
      }
      this.checkRegions(stacks);
      const started = await this.start(stacks);
      this.loaded = started;
      this.log(
        `loaded ${stacks.map((s) => s.stack).join(", ") || "nothing"}: ` +
          `${started.functions.length} functions, ${started.pollers.length} mappings, ` +
          `${started.apis.length} APIs`,
      );
      return {
        apis: started.apiUrls,
        functions: started.functions.length,
        mappings: started.pollers.length,
      };
    });
  }

  /** Stops the pollers (waiting for invocations in flight), then closes APIs and functions. */
  unload(): Promise<void> {
    return this.serialized(() => this.stopLoaded());
  }

  /**
   * Takes a region down: its front door and its APIs stop listening and drop their connections.
   * @throws RuntimeError 404 for a region not served
   */
  regionDown(region: string): Promise<RegionState> {
    return this.serialized(async () => {
      const door = this.door(region);
      this.regionStates.set(region, "down");
      await Promise.all([
        door.down(),
        ...this.loaded.apis.filter((a) => a.api.region === region).map((a) => a.down()),
      ]);
      this.log(`region ${region} is down`);
      return { region, state: "down" as const };
    });
  }

  /**
   * Brings a region back: its front door and APIs listen again on the same ports.
   * @throws RuntimeError 404 for a region not served
   */
  regionUp(region: string): Promise<RegionState> {
    return this.serialized(async () => {
      const door = this.door(region);
      await Promise.all([
        door.up(),
        ...this.loaded.apis.filter((a) => a.api.region === region).map((a) => a.up()),
      ]);
      this.regionStates.set(region, "up");
      this.log(`region ${region} is up`);
      return { region, state: "up" as const };
    });
  }

  status(): RuntimeStatus {
    return {
      regions: Object.fromEntries(this.regionStates),
      pollers: this.loaded.pollers.map((poller) => poller.stats()),
      apis: this.loaded.apiUrls,
    };
  }

  /** The journal's delivery records at or after `since` (epoch ms), all without. */
  async deliveries(since?: number): Promise<DeliveryRecord[]> {
    return [...(await this.factories.readDeliveries(since))];
  }

  private door(region: string): RegionDoor {
    const door = this.doors.get(region);
    if (door === undefined) {
      throw new RuntimeError(
        404,
        `region ${region} is not served by this runtime (regions: ${this.regions.join(", ")})`,
      );
    }
    return door;
  }

  private checkRegions(stacks: readonly DeployedStack[]): void {
    const problems: string[] = [];
    const check = (region: string, what: string): void => {
      if (!this.doors.has(region)) problems.push(`${what} is in ${region}`);
    };
    for (const stack of stacks) {
      for (const fn of stack.functions) check(fn.region, `function ${fn.name}`);
      for (const mapping of stack.mappings) check(mapping.region, `mapping ${mapping.uuid}`);
      for (const api of stack.apis) check(api.region, `API ${api.name}`);
    }
    if (problems.length > 0) {
      throw new RuntimeError(
        400,
        `${problems.join("; ")}: not a region this runtime serves (${this.regions.join(", ")})`,
      );
    }
  }

  private async start(stacks: readonly DeployedStack[]): Promise<Loaded> {
    const functions = new Map<string, FunctionInvoker>();
    const pollers: QueuePoller[] = [];
    const apis: ServedApi[] = [];
    const sqsClients = new Map<string, SQSClient>();
    const apiUrls: Record<string, { region: string; url: string }> = {};
    const partial = (): Loaded => ({
      stacks,
      functions: [...functions.values()],
      pollers,
      apis,
      sqsClients: [...sqsClients.values()],
      apiUrls,
    });
    try {
      const concurrency = new Map<string, number>();
      for (const stack of stacks) {
        for (const mapping of stack.mappings) {
          const key = functionKey(mapping.region, mapping.functionName);
          concurrency.set(key, Math.max(concurrency.get(key) ?? 0, mapping.maxConcurrency));
        }
      }
      for (const stack of stacks) {
        for (const fn of stack.functions) {
          const key = functionKey(fn.region, fn.name);
          if (functions.has(key)) {
            throw new RuntimeError(400, `function ${fn.name} in ${fn.region} is deployed twice`);
          }
          functions.set(
            key,
            await this.factories.createFunction(fn, {
              endpointUrl: this.door(fn.region).url,
              maxEnvironments: concurrency.get(key),
            }),
          );
        }
      }
      const invoker = (region: string, name: string): FunctionInvoker => {
        const found = functions.get(functionKey(region, name));
        if (found === undefined) throw new Error(`no function ${name} in ${region}`);
        return found;
      };
      for (const stack of stacks) {
        for (const mapping of stack.mappings) {
          let fnInvoker: FunctionInvoker;
          try {
            fnInvoker = invoker(mapping.region, mapping.functionName);
          } catch (error) {
            throw new RuntimeError(400, `mapping ${mapping.uuid}: ${messageOf(error)}`);
          }
          let sqs = sqsClients.get(mapping.region);
          if (sqs === undefined) {
            const make = this.factories.createSqsClient ?? defaultSqsClient;
            sqs = make(mapping.region, this.door(mapping.region).url);
            sqsClients.set(mapping.region, sqs);
          }
          pollers.push(this.factories.createPoller(mapping, fnInvoker, { sqs }));
        }
        for (const api of stack.apis) {
          for (const route of api.routes) {
            if (!functions.has(functionKey(api.region, route.functionName))) {
              throw new RuntimeError(
                400,
                `API ${api.name}: ${route.method} ${route.path} calls ${route.functionName}, ` +
                  `which is not deployed in ${api.region}`,
              );
            }
          }
          const served = this.factories.createApi(api, (name) => invoker(api.region, name));
          apis.push(served);
          await served.start();
          if (this.regionStates.get(api.region) === "down") await served.down();
          const key =
            apiUrls[stack.stack] === undefined ? stack.stack : `${stack.stack}/${api.name}`;
          apiUrls[key] = { region: api.region, url: served.url };
        }
      }
      for (const poller of pollers) poller.start();
      return partial();
    } catch (error) {
      await this.stop(partial());
      throw error;
    }
  }

  private async stopLoaded(): Promise<void> {
    const loaded = this.loaded;
    this.loaded = EMPTY;
    if (loaded !== EMPTY) {
      await this.stop(loaded);
      this.log(`unloaded ${loaded.stacks.map((s) => s.stack).join(", ")}`);
    }
  }

  /** Stops pollers first (in-flight invocations finish), then APIs, then functions. */
  private async stop(loaded: Loaded): Promise<void> {
    const problems: string[] = [];
    const settle = async (work: Promise<unknown>[]): Promise<void> => {
      for (const result of await Promise.allSettled(work)) {
        if (result.status === "rejected") problems.push(messageOf(result.reason));
      }
    };
    await settle(loaded.pollers.map((poller) => poller.stop()));
    await settle(loaded.apis.map((api) => api.close()));
    await settle(loaded.functions.map((fn) => fn.close()));
    for (const client of loaded.sqsClients) client.destroy();
    if (problems.length > 0) this.log(`while stopping: ${problems.join("; ")}`);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// ---------------------------------------------------------------------------------------------
// The control API

export interface ControlServerOptions {
  /**
   * Port to listen on.
   * @default - a free port
   */
  readonly port?: number;
  /**
   * @default - 127.0.0.1
   */
  readonly host?: string;
  /** Called once `POST /shutdown` has unloaded and answered. */
  readonly onShutdown?: () => void;
  readonly log?: (line: string) => void;
}

/** Largest control request body: a list of directories. */
const MAX_CONTROL_BODY_BYTES = 1024 * 1024;

function readJson(request: http.IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_CONTROL_BODY_BYTES) {
        reject(new RuntimeError(413, `request body over ${MAX_CONTROL_BODY_BYTES} bytes`));
        request.removeAllListeners("data");
        request.resume();
        return;
      }
      chunks.push(chunk);
    });
    request.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8").trim();
      if (text === "") {
        resolve(undefined);
        return;
      }
      try {
        resolve(JSON.parse(text));
      } catch {
        reject(new RuntimeError(400, "request body is not JSON"));
      }
    });
    request.on("error", reject);
  });
}

/** The `stackDirs` of a `POST /load` body. */
export function parseLoadRequest(body: unknown): string[] {
  const dirs =
    typeof body === "object" && body !== null
      ? (body as { stackDirs?: unknown }).stackDirs
      : undefined;
  if (!Array.isArray(dirs) || dirs.some((dir) => typeof dir !== "string" || dir === "")) {
    throw new RuntimeError(
      400,
      'POST /load takes {"stackDirs": [absolute stack directories]}, got ' +
        JSON.stringify(body ?? null).slice(0, 200),
    );
  }
  const relative = (dirs as string[]).filter((dir) => !isAbsolute(dir));
  if (relative.length > 0) {
    throw new RuntimeError(400, `stack directories must be absolute: ${relative.join(", ")}`);
  }
  return dirs as string[];
}

/** The `since` of `GET /deliveries`, epoch ms; undefined when absent. */
export function parseSince(value: string | null): number | undefined {
  if (value === null || value === "") return undefined;
  const since = Number(value);
  if (!Number.isFinite(since) || since < 0) {
    throw new RuntimeError(400, `since must be epoch milliseconds, got ${JSON.stringify(value)}`);
  }
  return since;
}

/** The control API over a {@link LocalRuntime}; see the module comment. */
export class ControlServer {
  private readonly runtime: LocalRuntime;
  private readonly options: ControlServerOptions;
  private readonly server: http.Server;
  private readonly sockets = new Set<net.Socket>();
  private boundPort = 0;
  private shuttingDown = false;

  constructor(runtime: LocalRuntime, options: ControlServerOptions = {}) {
    this.runtime = runtime;
    this.options = options;
    this.server = http.createServer((request, response) => {
      void this.handle(request, response);
    });
    this.server.on("connection", (socket) => {
      this.sockets.add(socket);
      socket.on("close", () => this.sockets.delete(socket));
    });
  }

  /** E.g. `http://127.0.0.1:40123`. */
  get url(): string {
    if (this.boundPort === 0) throw new Error("control server is not started");
    return `http://${this.options.host ?? "127.0.0.1"}:${this.boundPort}`;
  }

  async start(): Promise<void> {
    this.boundPort = await listen(
      this.server,
      this.options.host ?? "127.0.0.1",
      this.options.port ?? 0,
    );
  }

  /** Stops listening and drops idle connections. */
  async close(): Promise<void> {
    const closing = stopListening(this.server);
    this.server.closeIdleConnections();
    for (const socket of this.sockets) socket.destroy();
    await closing;
  }

  private send(response: http.ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    response.writeHead(status, {
      "content-type": "application/json",
      "content-length": Buffer.byteLength(text),
    });
    response.end(text);
  }

  private async handle(
    request: http.IncomingMessage,
    response: http.ServerResponse,
  ): Promise<void> {
    const method = request.method ?? "GET";
    const url = new URL(request.url ?? "/", "http://control");
    try {
      const answer = await this.route(method, url, request);
      if (url.pathname === "/shutdown") {
        response.on("close", () => this.options.onShutdown?.());
      }
      this.send(response, 200, answer);
    } catch (error) {
      const status = error instanceof RuntimeError ? error.status : 500;
      if (status >= 500)
        this.options.log?.(`${method} ${url.pathname} failed: ${messageOf(error)}`);
      this.send(response, status, { message: messageOf(error) });
    }
  }

  private async route(method: string, url: URL, request: http.IncomingMessage): Promise<unknown> {
    const path = url.pathname.replace(/\/+$/, "") || "/";
    const allow = (expected: string): void => {
      if (method !== expected) {
        request.resume();
        throw new RuntimeError(405, `${method} ${path} is not allowed: use ${expected}`);
      }
    };
    if (this.shuttingDown && path !== "/status") {
      request.resume();
      throw new RuntimeError(503, "the runtime is shutting down");
    }
    const region = /^\/regions\/([^/]+)\/(down|up)$/.exec(path);
    if (region) {
      allow("POST");
      request.resume();
      const name = decodeURIComponent(region[1]);
      return region[2] === "down" ? this.runtime.regionDown(name) : this.runtime.regionUp(name);
    }
    switch (path) {
      case "/load":
        allow("POST");
        return this.runtime.load(parseLoadRequest(await readJson(request)));
      case "/unload":
        allow("POST");
        request.resume();
        await this.runtime.unload();
        return { loaded: false };
      case "/status":
        allow("GET");
        return this.runtime.status();
      case "/deliveries":
        allow("GET");
        return this.runtime.deliveries(parseSince(url.searchParams.get("since")));
      case "/shutdown":
        allow("POST");
        request.resume();
        this.shuttingDown = true;
        await this.runtime.unload();
        return { state: "stopped" };
      default:
        request.resume();
        throw new RuntimeError(
          404,
          `no such control endpoint: ${method} ${path} (see local/runtime/control.ts)`,
        );
    }
  }
}
