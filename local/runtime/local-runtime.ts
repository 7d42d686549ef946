/**
 * The local runtime: what one or more deployed stacks need on this machine, a function host per
 * deployed function, a queue poller per event source mapping and an API server per REST API,
 * every one of them talking to the emulator through its region's front door. It takes every
 * part from injected factories, so tests run it in-process with fakes; `control.ts` serves it
 * over HTTP.
 */
import { SQSClient } from "@aws-sdk/client-sqs";
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
      // One `terraform show` per stack, at once: each loads the provider's schema (seconds of CPU).
      const stacks: DeployedStack[] = await Promise.all(
        stackDirs.map((dir) =>
          this.factories.readDeployment(dir).catch((error: unknown) => {
            throw new RuntimeError(
              400,
              `cannot read the deployment in ${dir}: ${messageOf(error)}`,
            );
          }),
        ),
      );
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

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
