/**
 * A unit whose home is an opt-in region (ap-east-1) and one that replicates into it: the queue
 * policies allow the principal SNS delivers with between the two regions
 * (config/opt-in-regions.ts). Units of regions enabled by default keep `sns.amazonaws.com`
 * alone, which the snapshots of fanout-stack.test.ts hold.
 */
import { runChecks } from "../../checks/run";
import { ConfigError } from "../../config/settings";
import {
  defaultConfig,
  normalized,
  ref,
  resourceWhere,
  stackJsons,
  statementsOf,
  synthAll,
  type TerraformJson,
} from "../support/synth";

const config = defaultConfig({ FANOUT_STACKS: "primary=ap-east-1,secondary=us-east-1" });
const stacks = synthAll(config);

/** Service principals the policy of the queue named `queueName` lets send to it. */
function senders(json: TerraformJson, queueName: string): unknown {
  const [queueId] = resourceWhere(json, "aws_sqs_queue", "name", queueName);
  const [, policy] = resourceWhere(
    json,
    "aws_sqs_queue_policy",
    "queue_url",
    ref("aws_sqs_queue", queueId, "url"),
  );
  const allow = statementsOf(json, policy.policy).filter((s) => s.effect === "Allow");
  expect(allow).toHaveLength(1);
  return (allow[0].principals as { identifiers: string[] }[])[0].identifiers;
}

describe("units with an opt-in region", () => {
  it("lets a topic in an opt-in region deliver to another region as its regional principal", () => {
    const { json } = stacks.primary;
    expect(senders(json, "fanout-primary-replica-us-east-1")).toEqual([
      "sns.ap-east-1.amazonaws.com",
    ]);
    expect(senders(json, "fanout-primary-active")).toEqual(["sns.amazonaws.com"]);
    expect(senders(json, "fanout-primary-replica-us-east-1-delivery-dlq")).toEqual([
      "sns.amazonaws.com",
    ]);
  });

  it("lets a topic elsewhere deliver into an opt-in region as either principal", () => {
    expect(senders(stacks.secondary.json, "fanout-secondary-replica-ap-east-1")).toEqual([
      "sns.amazonaws.com",
      "sns.ap-east-1.amazonaws.com",
    ]);
  });

  it("breaks no policy rule", () => {
    expect(runChecks(stackJsons(config))).toEqual([]);
  });

  it("refuses two opt-in regions in one app, in one line", () => {
    let error: unknown;
    try {
      defaultConfig({ FANOUT_STACKS: "primary=ap-east-1,secondary=eu-south-1" });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(String((error as Error).message)).toMatch(
      /^Invalid setting stacks \(env FANOUT_STACKS\): .* puts stack "primary" in ap-east-1, whose topic would feed a replica in eu-south-1, but SNS does not deliver from one opt-in region to another \(ap-east-1 -> eu-south-1\); allowed: at most one opt-in region among the stacks' regions/,
    );
    expect((error as Error).message).not.toContain("\n");
  });

  it("matches the snapshot of the unit at home in the opt-in region", () => {
    expect(normalized(stacks.primary.json)).toMatchSnapshot();
  });
});
