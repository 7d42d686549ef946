/**
 * The stack outputs file written by `cdktf deploy <stacks> --outputs-file outputs.json`: a JSON
 * object keyed by stack name, each value that stack's outputs. Commands read only the outputs they
 * need, so a partial file still serves the commands it can.
 *
 * Two optional top-level keys, which no stack name can take (stack names start with a letter),
 * point the CLI somewhere other than AWS's public endpoints:
 * - `"_endpoints": { "<region>": "<url>" }`: every AWS call of that region goes to that URL (an
 *   AWS-compatible endpoint, such as the local deployment's per-region front doors);
 * - `"_local": { "control_url": "<url>" }`: the local runtime's control API, which can take a
 *   region down and bring it back (`fanout drill` uses it).
 */
import { readFileSync } from "node:fs";
import type { QueueRole } from "../config/names";
import { UsageError } from "./errors";

/** Default path of the outputs file, relative to the current directory. */
export const DEFAULT_OUTPUTS_FILE = "outputs.json";
/** Environment variable that names the outputs file when `--outputs` is not given. */
export const OUTPUTS_ENV = "FANOUT_OUTPUTS";

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** One stack's outputs, with typed accessors that fail with a one-line error naming the key. */
export class StackOutputs {
  constructor(
    /** Path of the outputs file, for error messages. */
    readonly file: string,
    /** Stack name (the key in the outputs file). */
    readonly name: string,
    private readonly values: Json,
  ) {}

  private fail(detail: string): never {
    throw new UsageError(`outputs file ${this.file}: stack "${this.name}" ${detail}`);
  }

  /** True when the output is present (whatever its type). */
  has(key: string): boolean {
    return this.values[key] !== undefined && this.values[key] !== null;
  }

  /** A required non-empty string output. */
  string(key: string): string {
    if (!this.has(key)) this.fail(`lacks "${key}"`);
    const value = this.values[key];
    if (typeof value !== "string" || value === "") this.fail(`has "${key}" that is not a string`);
    return value;
  }

  /** A required map of name -> non-empty string (may be empty). */
  stringMap(key: string): Record<string, string> {
    if (!this.has(key)) this.fail(`lacks "${key}"`);
    const value = this.values[key];
    if (!isObject(value)) this.fail(`has "${key}" that is not an object of region -> string`);
    for (const [entry, item] of Object.entries(value)) {
      if (typeof item !== "string" || item === "") {
        this.fail(`has "${key}" whose entry "${entry}" is not a string`);
      }
    }
    return value as Record<string, string>;
  }

  /** A required list of strings. */
  stringList(key: string): string[] {
    if (!this.has(key)) this.fail(`lacks "${key}"`);
    const value = this.values[key];
    if (!Array.isArray(value) || value.some((item) => typeof item !== "string")) {
      this.fail(`has "${key}" that is not a list of strings`);
    }
    return value as string[];
  }

  /** Home region of the stack. */
  region(): string {
    return this.string("region");
  }
}

/** Top-level key of the region -> endpoint map. */
export const ENDPOINTS_KEY = "_endpoints";
/** Top-level key of the local runtime's settings. */
export const LOCAL_KEY = "_local";

/** What `_local` holds. */
export interface LocalRuntimeOutputs {
  /** Base URL of the local runtime's control API. */
  readonly controlUrl: string;
}

/** The parsed outputs file, with its stacks in file order. */
export class OutputsFile {
  private constructor(
    /** Path as given, for error messages. */
    readonly path: string,
    private readonly stacks: ReadonlyMap<string, StackOutputs>,
    /** Region -> endpoint URL for every AWS call of that region; empty for AWS itself. */
    readonly endpoints: Readonly<Record<string, string>> = {},
    /** The local runtime, when the file describes a local deployment. */
    readonly local?: LocalRuntimeOutputs,
  ) {}

  /** Parses the file's text; every problem is a UsageError of one line. */
  static parse(path: string, text: string): OutputsFile {
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (err) {
      const reason = err instanceof Error ? err.message.split("\n")[0] : String(err);
      throw new UsageError(`outputs file ${path}: not valid JSON (${reason})`);
    }
    if (!isObject(data)) {
      throw new UsageError(`outputs file ${path}: expected an object keyed by stack name`);
    }
    const { [ENDPOINTS_KEY]: endpointsValue, [LOCAL_KEY]: localValue, ...stackEntries } = data;
    const endpoints = parseEndpoints(path, endpointsValue);
    const local = parseLocal(path, localValue);
    const stacks = new Map<string, StackOutputs>();
    for (const [name, values] of Object.entries(stackEntries)) {
      if (!isObject(values)) {
        throw new UsageError(`outputs file ${path}: stack "${name}" is not an object of outputs`);
      }
      stacks.set(name, new StackOutputs(path, name, values));
    }
    if (stacks.size === 0) {
      throw new UsageError(`outputs file ${path}: has no stacks`);
    }
    return new OutputsFile(path, stacks, endpoints, local);
  }

  /** Reads and parses the file. */
  static load(path: string, read: (path: string) => string = readText): OutputsFile {
    let text: string;
    try {
      text = read(path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "ENOENT") {
        throw new UsageError(
          `outputs file ${path} not found; write it with: npx cdktf deploy --outputs-file ${path} <stacks...>, or pass --outputs <file>`,
        );
      }
      throw new UsageError(`outputs file ${path}: cannot read it (${code ?? String(err)})`);
    }
    return OutputsFile.parse(path, text);
  }

  /** Stack names in file order. */
  names(): string[] {
    return [...this.stacks.keys()];
  }

  /** One stack by name, or a UsageError listing the known stacks. */
  stack(name: string): StackOutputs {
    const stack = this.stacks.get(name);
    if (!stack) {
      throw new UsageError(
        `unknown stack "${name}" (outputs file ${this.path} has: ${this.names().join(", ")})`,
      );
    }
    return stack;
  }

  /**
   * The stacks to work on, in preference order (first = preferred for failover): the names given
   * by `--stacks`, else the file's key order.
   */
  ordered(names?: readonly string[]): StackOutputs[] {
    return (names ?? this.names()).map((name) => this.stack(name));
  }
}

function isHttpUrl(value: unknown): value is string {
  if (typeof value !== "string") return false;
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:";
  } catch {
    return false;
  }
}

function parseEndpoints(path: string, value: unknown): Record<string, string> {
  if (value === undefined) return {};
  if (!isObject(value)) {
    throw new UsageError(
      `outputs file ${path}: "${ENDPOINTS_KEY}" is not an object of region -> URL`,
    );
  }
  for (const [region, url] of Object.entries(value)) {
    if (!isHttpUrl(url)) {
      throw new UsageError(
        `outputs file ${path}: "${ENDPOINTS_KEY}" entry "${region}" is not an http(s) URL: ${JSON.stringify(url)}`,
      );
    }
  }
  return value as Record<string, string>;
}

function parseLocal(path: string, value: unknown): LocalRuntimeOutputs | undefined {
  if (value === undefined) return undefined;
  const controlUrl = isObject(value) ? value.control_url : undefined;
  if (!isHttpUrl(controlUrl)) {
    throw new UsageError(
      `outputs file ${path}: "${LOCAL_KEY}" needs "control_url", an http(s) URL`,
    );
  }
  return { controlUrl };
}

function readText(path: string): string {
  return readFileSync(path, "utf8");
}

const SQS_URL =
  /^https?:\/\/(?:sqs\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?|([a-z0-9-]+)\.queue\.amazonaws\.com(?:\.cn)?)\//;

/**
 * Region of an SQS queue URL (`https://sqs.<region>.amazonaws.com/<account>/<name>`), or the
 * fallback when the URL has another shape (a local endpoint, for instance).
 */
export function regionOfQueueUrl(url: string, fallback: string): string {
  const match = SQS_URL.exec(url);
  return match?.[1] ?? match?.[2] ?? fallback;
}

/** One queue of a stack's fan-out, with its DLQs. */
export interface QueueInfo {
  /** `active` (the home region's queue) or `replica`. */
  readonly role: QueueRole;
  /** Region the queue lives in. */
  readonly region: string;
  readonly url: string;
  /** The queue's own dead-letter queue (failed consumer receives), in the queue's region. */
  readonly dlqUrl: string;
  /** The SNS subscription's dead-letter queue (failed deliveries), in the topic's region. */
  readonly deliveryDlqUrl?: string;
}

/**
 * The active queue and every replica of a stack, active first then replicas in the order of the
 * `replica_queue_urls` map. Requires the queue and DLQ outputs; the delivery DLQs only when
 * `withDeliveryDlqs` is set.
 */
export function queuesOf(stack: StackOutputs, withDeliveryDlqs = false): QueueInfo[] {
  const home = stack.region();
  const deliveryDlqs = withDeliveryDlqs ? stack.stringMap("delivery_dlq_urls") : {};
  const replicaUrls = stack.stringMap("replica_queue_urls");
  const replicaDlqs = stack.stringMap("replica_dlq_urls");
  const queues: QueueInfo[] = [
    {
      role: "active",
      region: home,
      url: stack.string("active_queue_url"),
      dlqUrl: stack.string("active_dlq_url"),
      deliveryDlqUrl: deliveryDlqs[home],
    },
  ];
  for (const [region, url] of Object.entries(replicaUrls)) {
    const dlqUrl = replicaDlqs[region];
    if (dlqUrl === undefined) {
      throw new UsageError(
        `outputs file ${stack.file}: stack "${stack.name}" has "replica_dlq_urls" without an entry for region "${region}"`,
      );
    }
    queues.push({ role: "replica", region, url, dlqUrl, deliveryDlqUrl: deliveryDlqs[region] });
  }
  return queues;
}
