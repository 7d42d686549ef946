import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runTerraform, terraformEnv } from "../../verify/offline-plan";
import { terraformSuite } from "../../__tests__/support/terraform";
import {
  parseDeployment,
  readDeployment,
  regionOfArn,
  type ShowJson,
  type StateResource,
  type SynthesizedJson,
} from "../runtime/state";
import showFixture from "./fixtures/primary/show.json";
import synthesizedFixture from "./fixtures/primary/cdk.tf.json";

const FIXTURES = join(__dirname, "fixtures", "primary");
const STACK_DIR = "/deploy/cdktf.out/stacks/primary";
const show = showFixture as ShowJson;
// The fixture's synthesized JSON is from active-standby mode: the replica's mapping is disabled.
const synthesized = synthesizedFixture as unknown as SynthesizedJson;

const ACTIVE = "fanout-primary-active-consumer";
const REPLICA = "fanout-primary-replica-us-west-2-consumer";
const API = "fanout-primary-api";

/** The fixture with `edit` applied to the resource at `address`. */
function withResource(
  address: string,
  edit: (values: Record<string, unknown>) => Record<string, unknown> | undefined,
): ShowJson {
  const resources = (show.values!.root_module!.resources ?? []).flatMap((r: StateResource) => {
    if (r.address !== address) return [r];
    const values = edit({ ...r.values });
    return values === undefined ? [] : [{ ...r, values }];
  });
  return { values: { ...show.values, root_module: { resources } } };
}

describe("parseDeployment of a deployed stack's state", () => {
  const stack = parseDeployment("primary", STACK_DIR, show, synthesized);
  const fn = (name: string) => stack.functions.find((f) => f.name === name)!;
  const mapping = (name: string) => stack.mappings.find((m) => m.functionName === name)!;

  it("names the stack, its directory and its home region", () => {
    expect(stack).toMatchObject({ stack: "primary", stackDir: STACK_DIR, region: "us-east-1" });
  });

  it("reads every function with its region from the ARN and its package against the stack directory", () => {
    expect(stack.functions.map((f) => [f.name, f.region]).sort()).toEqual([
      [ACTIVE, "us-east-1"],
      [API, "us-east-1"],
      [REPLICA, "us-west-2"],
    ]);
    expect(fn(REPLICA)).toEqual({
      stack: "primary",
      address: "aws_lambda_function.replica-us-west-2_consumer_function_D12F6F82",
      name: REPLICA,
      arn: `arn:aws:lambda:us-west-2:123456789012:function:${REPLICA}`,
      region: "us-west-2",
      packagePath: `${STACK_DIR}/assets/code-consumer/82D9A178F6E9A5C3A986B2B5957CADAC/consumer.zip`,
      sourceCodeHash: "82D9A178F6E9A5C3A986B2B5957CADAC",
      handler: "index.handler",
      runtime: "nodejs22.x",
      timeoutSeconds: 30,
      memoryMb: 256,
      environment: {
        FANOUT_QUEUE_ROLE: "replica",
        FANOUT_STACK: "primary",
        NODE_OPTIONS: "--enable-source-maps",
        POWERTOOLS_METRICS_NAMESPACE: "SnsSqsMultiRegion",
        POWERTOOLS_SERVICE_NAME: "fanout-primary",
      },
      logGroupName: `/aws/lambda/${REPLICA}`,
      logFormat: "JSON",
    });
    expect(fn(API).timeoutSeconds).toBe(10);
  });

  it("takes the logging config the emulator forgot from the synthesized JSON, resolving the log group reference", () => {
    // The emulator answers an empty logging_config; the product configures JSON and its log group.
    const stateFn = show.values!.root_module!.resources!.find(
      (r) => r.address === fn(ACTIVE).address,
    )!;
    expect(stateFn.values.logging_config).toEqual([]);
    expect(fn(ACTIVE)).toMatchObject({
      logFormat: "JSON",
      logGroupName: `/aws/lambda/${ACTIVE}`,
    });
  });

  it("prefers the state's logging config when it has one", () => {
    const edited = withResource(fn(ACTIVE).address, (values) => ({
      ...values,
      logging_config: [{ log_format: "Text", log_group: "/custom/group" }],
    }));
    const parsed = parseDeployment("primary", STACK_DIR, edited, synthesized);
    expect(parsed.functions.find((f) => f.name === ACTIVE)).toMatchObject({
      logFormat: "Text",
      logGroupName: "/custom/group",
    });
  });

  it("falls back to /aws/lambda/<name> and Text without any logging config", () => {
    const parsed = parseDeployment("primary", STACK_DIR, show, {});
    expect(parsed.functions.find((f) => f.name === ACTIVE)).toMatchObject({
      logFormat: "Text",
      logGroupName: `/aws/lambda/${ACTIVE}`,
    });
  });

  it("reads each mapping with its queue URL from the state's queue of that ARN", () => {
    expect(mapping(REPLICA)).toEqual({
      stack: "primary",
      address:
        "aws_lambda_event_source_mapping.replica-us-west-2_consumer_event-source-mapping_CAEDEA1C",
      uuid: "37813328-f52f-4578-b8dd-423636974654",
      functionName: REPLICA,
      queueArn: "arn:aws:sqs:us-west-2:123456789012:fanout-primary-replica-us-west-2",
      queueUrl: "http://127.0.0.1:45123/123456789012/fanout-primary-replica-us-west-2",
      region: "us-west-2",
      batchSize: 10,
      batchingWindowSeconds: 0,
      maxConcurrency: 5,
      functionResponseTypes: ["ReportBatchItemFailures"],
      enabled: false,
    });
  });

  it("takes enabled from the product's configuration, not from the state the local copy overrides", () => {
    const stateValues = show
      .values!.root_module!.resources!.filter((r) => r.type === "aws_lambda_event_source_mapping")
      .map((r) => r.values.enabled);
    expect(stateValues).toEqual([false, false]);
    expect(mapping(ACTIVE).enabled).toBe(true);
    expect(mapping(REPLICA).enabled).toBe(false);
  });

  it("counts a mapping the synthesized JSON does not name as enabled", () => {
    const parsed = parseDeployment("primary", STACK_DIR, show, {});
    expect(parsed.mappings.map((m) => m.enabled)).toEqual([true, true]);
  });

  it("reads the REST API's stage and its Lambda proxy routes", () => {
    expect(stack.apis).toEqual([
      {
        stack: "primary",
        region: "us-east-1",
        apiId: "atvyk9nsba",
        name: API,
        stageName: "v1",
        routes: [
          { path: "/health", method: "GET", authorization: "NONE", functionName: API },
          { path: "/messages", method: "POST", authorization: "AWS_IAM", functionName: API },
        ],
      },
    ]);
  });

  it("builds a route's path from path_part and parents when the state has no path", () => {
    const health = "aws_api_gateway_resource.producer-api_health-resource_733E48AF";
    const edited = withResource(health, (values) => ({ ...values, path: undefined }));
    const routes = parseDeployment("primary", STACK_DIR, edited, synthesized).apis[0].routes;
    expect(routes.map((r) => r.path)).toEqual(["/health", "/messages"]);
  });

  it("throws when a mapping's queue is not in the state", () => {
    const queue = "aws_sqs_queue.replica-us-west-2_queue_87E309C6";
    const edited = withResource(queue, () => undefined);
    expect(() => parseDeployment("primary", STACK_DIR, edited, synthesized)).toThrow(
      /replica-us-west-2_consumer_event-source-mapping_CAEDEA1C .*no aws_sqs_queue in the state has arn:aws:sqs:us-west-2:123456789012:fanout-primary-replica-us-west-2/,
    );
  });

  it("throws when the synthesized enabled is neither true nor false", () => {
    const bad = JSON.parse(JSON.stringify(synthesized));
    bad.resource.aws_lambda_event_source_mapping[
      "active_consumer_event-source-mapping_1F015086"
    ].enabled = "${var.enabled}";
    expect(() => parseDeployment("primary", STACK_DIR, show, bad)).toThrow(
      /enabled is "\$\{var.enabled\}"; expected true or false/,
    );
  });

  it("reads an empty state as a stack with nothing deployed", () => {
    expect(parseDeployment("primary", STACK_DIR, { values: undefined }, synthesized)).toEqual({
      stack: "primary",
      stackDir: STACK_DIR,
      region: "us-east-1",
      functions: [],
      mappings: [],
      apis: [],
    });
  });

  it("throws when an ARN has no region", () => {
    expect(regionOfArn("arn:aws:sqs:us-west-2:1:q")).toBe("us-west-2");
    expect(() => regionOfArn("not-an-arn")).toThrow('No region in ARN "not-an-arn"');
  });
});

const suite = terraformSuite("readDeployment with real Terraform");

suite.describe("readDeployment with real Terraform", () => {
  let dir: string;

  beforeAll(async () => {
    suite.assertAvailable();
    dir = mkdtempSync(join(tmpdir(), "fanout-state-"));
    const stackDir = join(dir, "primary");
    mkdirSync(stackDir);
    copyFileSync(join(FIXTURES, "cdk.tf.json"), join(stackDir, "cdk.tf.json"));
    copyFileSync(join(FIXTURES, "terraform-state.json"), join(stackDir, "terraform.tfstate"));
    // As the launcher does before deploying: providers from the mirror.
    await runTerraform(["init", "-no-color", "-input=false"], stackDir, terraformEnv(stackDir));
  }, 60_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("runs terraform show -json in the stack directory and parses what it prints", async () => {
    const stackDir = join(dir, "primary");
    const stack = await readDeployment(stackDir, { env: terraformEnv(stackDir) });
    expect(stack).toEqual(parseDeployment("primary", stackDir, show, synthesized));
  }, 60_000);
});
