/** Shared test fixtures: an outputs file, captured streams, a fake HTTP client, timer driving. */
// The SDK warns once per process on Node 20; in test output that is noise.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";

import { createAwsClients, type AwsClients } from "../aws";
import { FailoverController, type FailBackOptions } from "../failover-controller";
import type { HttpClient, HttpRequest, HttpResponse } from "../http";
import { OutputsFile } from "../outputs";
import type { CliDeps } from "../program";
import { createSender, targetOf, type Via } from "../senders";

export const ACCOUNT = "123456789012";
export const TEST_CREDENTIALS = {
  accessKeyId: "AKIDEXAMPLE",
  secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
};

const sqsUrl = (region: string, name: string): string =>
  `https://sqs.${region}.amazonaws.com/${ACCOUNT}/${name}`;

/** Outputs of one stack as `cdktf deploy --outputs-file` writes them. */
export function stackOutputs(stack: string, home: string, regions: readonly string[]) {
  const others = regions.filter((r) => r !== home);
  const prefix = `fanout-${stack}`;
  const map = (f: (region: string) => string) =>
    Object.fromEntries(others.map((region) => [region, f(region)]));
  const api = `https://abc${stack}.execute-api.${home}.amazonaws.com/prod`;
  return {
    region: home,
    topic_arn: `arn:aws:sns:${home}:${ACCOUNT}:${prefix}-topic`,
    topic_name: `${prefix}-topic`,
    active_queue_url: sqsUrl(home, `${prefix}-active`),
    active_queue_arn: `arn:aws:sqs:${home}:${ACCOUNT}:${prefix}-active`,
    active_dlq_url: sqsUrl(home, `${prefix}-active-dlq`),
    replica_queue_urls: map((r) => sqsUrl(r, `${prefix}-replica-${r}`)),
    replica_queue_arns: map((r) => `arn:aws:sqs:${r}:${ACCOUNT}:${prefix}-replica-${r}`),
    replica_dlq_urls: map((r) => sqsUrl(r, `${prefix}-replica-${r}-dlq`)),
    delivery_dlq_urls: Object.fromEntries(
      regions.map((r) => [r, sqsUrl(home, `${prefix}-delivery-${r}-dlq`)]),
    ),
    consumer_function_names: Object.fromEntries(regions.map((r) => [r, `${prefix}-consumer-${r}`])),
    consumer_log_group_names: Object.fromEntries(
      regions.map((r) => [r, `/aws/lambda/${prefix}-consumer-${r}`]),
    ),
    api_url: api,
    messages_url: `${api}/messages`,
    health_url: `${api}/health`,
    dashboard_name: `${prefix}-latency`,
    dashboard_url: `https://console.aws.amazon.com/cloudwatch/home?region=${home}#dashboards:name=${prefix}-latency`,
    alarm_names: [`${prefix}-active-dlq-not-empty`],
  };
}

/** The default two-stack deployment: primary in us-east-1, secondary in us-west-2. */
export function twoStackOutputs() {
  const regions = ["us-east-1", "us-west-2"];
  return {
    primary: stackOutputs("primary", "us-east-1", regions),
    secondary: stackOutputs("secondary", "us-west-2", regions),
  };
}

export function outputsFile(data: unknown = twoStackOutputs()): OutputsFile {
  return OutputsFile.parse("outputs.json", JSON.stringify(data));
}

/** A writable that keeps what was written. */
export class Capture {
  text = "";
  isTTY = false;
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
  lines(): string[] {
    return this.text.split("\n").filter((line) => line !== "");
  }
}

/** An HTTP client answering from a function; records the requests. */
export function fakeHttp(answer: (request: HttpRequest) => HttpResponse | Promise<HttpResponse>) {
  const requests: HttpRequest[] = [];
  const client: HttpClient = async (request) => {
    requests.push(request);
    return answer(request);
  };
  return { client, requests };
}

/** Real SDK clients with static credentials, for aws-sdk-client-mock to intercept. */
export function testClients(): AwsClients {
  return createAwsClients(TEST_CREDENTIALS);
}

/** In-process CLI dependencies; the outputs file is served from memory. */
export function cliDeps(
  overrides: Partial<CliDeps> & { outputs?: unknown } = {},
): CliDeps & { stdout: Capture; stderr: Capture } {
  const stdout = new Capture();
  const stderr = new Capture();
  const outputs = overrides.outputs === undefined ? twoStackOutputs() : overrides.outputs;
  return {
    aws: testClients,
    credentials: () => TEST_CREDENTIALS,
    http: fakeHttp(() => ({ status: 200, body: "{}" })).client,
    onInterrupt: () => () => undefined,
    readFile: (path) => {
      if (path !== "outputs.json") {
        throw Object.assign(new Error(`ENOENT: ${path}`), { code: "ENOENT" });
      }
      return typeof outputs === "string" ? outputs : JSON.stringify(outputs);
    },
    producerId: "test-producer",
    random: () => 0.5,
    ...overrides,
    stdout: stdout as unknown as Capture,
    stderr,
  } as CliDeps & { stdout: Capture; stderr: Capture };
}

/**
 * Advances jest's fake timers until the promise settles (the code under test sleeps on real
 * timer functions, which jest replaces). Throws if it takes more than `limitMs` of fake time.
 */
export async function drive<T>(promise: Promise<T>, stepMs = 50, limitMs = 3_600_000): Promise<T> {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  for (let elapsed = 0; !settled; elapsed += stepMs) {
    if (elapsed > limitMs) throw new Error(`still running after ${limitMs} ms of fake time`);
    await jest.advanceTimersByTimeAsync(stepMs);
  }
  return promise;
}

export interface RigOptions {
  /** @default - sns */
  readonly via?: Via;
  /** Primary then secondary; else primary alone. */
  readonly failover?: boolean;
  /** @default - 3 */
  readonly threshold?: number;
  readonly failBack?: FailBackOptions;
  /** Serves --via api. @default - answers 500 */
  readonly http?: HttpClient;
}

/** What produce and load-test need to send: a failover controller, a sender, captured lines. */
export function sendingRig(options: RigOptions, batch: boolean) {
  const file = outputsFile();
  const via = options.via ?? "sns";
  const stacks = options.failover ? file.ordered() : [file.stack("primary")];
  const lines: string[] = [];
  const print = (line: string): void => {
    lines.push(line);
  };
  const controller = new FailoverController(
    stacks.map((stack, i) => targetOf(stack, via, i === 0)),
    options.threshold ?? 3,
    print,
    options.failBack,
  );
  const sender = createSender(
    via,
    {
      aws: testClients(),
      http: options.http ?? fakeHttp(() => ({ status: 500, body: "" })).client,
      credentials: () => TEST_CREDENTIALS,
    },
    batch,
  );
  return { controller, sender, lines, print };
}
