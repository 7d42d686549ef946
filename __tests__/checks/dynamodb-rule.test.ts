/**
 * The policy rules over stacks with the idempotency store: the real stacks pass; the DynamoDB
 * rule fires on a table (or replica) without encryption or point-in-time recovery, and the IAM
 * rule on a widened grant of a consumer to the table.
 */
import { Violation } from "../../checks/rules";
import { runChecks } from "../../checks/run";
import { StackJson } from "../../inspect/terraform-json";
import { defaultConfig, stackJsons } from "../support/synth";

type Body = Record<string, unknown>;
type Section = Record<string, Record<string, Body>>;

const STORE = { FANOUT_CONSUMER_MODE: "active-standby", FANOUT_IDEMPOTENCY_STORE: "true" };
let stacks: StackJson[];

beforeAll(() => {
  stacks = stackJsons(defaultConfig(STORE));
});

/** The checks over the stacks with `primary` changed by `change` (on a deep copy). */
function broken(change: (json: { resource: Section; data: Section }) => void): Violation[] {
  const copy = structuredClone(stacks);
  change(copy.find((s) => s.name === "primary")!.json as { resource: Section; data: Section });
  return runChecks(copy);
}

const table = (resource: Section) => Object.values(resource.aws_dynamodb_table)[0];
const rules = (v: Violation[]) => [...new Set(v.map((x) => x.rule))];

/** The statement of the replica consumer's grant to the table. */
function replicaGrant(data: Section): Body {
  const [doc] = Object.entries(data.aws_iam_policy_document)
    .filter(([id]) => id.startsWith("replica-us-west-2_consumer_function_idempotency-store"))
    .map(([, d]) => d);
  return (doc.statement as Body[])[0];
}

it("the real stacks with the store break no rule", () => {
  expect(stacks.map((s) => Object.keys(s.json.resource ?? {}))).toEqual(
    stacks.map(() => expect.arrayContaining(["aws_dynamodb_table"])),
  );
  expect(runChecks(stacks)).toEqual([]);
});

describe("dynamodb-encryption-recovery", () => {
  it.each([
    ["server-side encryption is off", (t: Body) => (t.server_side_encryption = { enabled: false })],
    ["server-side encryption is missing", (t: Body) => delete t.server_side_encryption],
    ["point-in-time recovery is off", (t: Body) => (t.point_in_time_recovery = { enabled: false })],
    ["point-in-time recovery is missing", (t: Body) => delete t.point_in_time_recovery],
    [
      "a replica has no point-in-time recovery",
      (t: Body) => (t.replica = [{ region_name: "us-west-2" }]),
    ],
  ])("flags a table when %s", (_, change) => {
    const v = broken(({ resource }) => change(table(resource)));
    expect(rules(v)).toEqual(["dynamodb-encryption-recovery"]);
    expect(v).toHaveLength(1);
    expect(v[0].address).toMatch(/^aws_dynamodb_table\.idempotency_table/);
  });

  it("names the replica's region", () => {
    const v = broken(({ resource }) => (table(resource).replica = [{ region_name: "us-west-2" }]));
    expect(v[0].why).toBe("replica in us-west-2 has no point_in_time_recovery = true");
  });
});

describe("iam-least-privilege on the consumers' grants to the table", () => {
  it("flags every action of DynamoDB", () => {
    const v = broken(({ data }) => (replicaGrant(data).actions = ["dynamodb:*"]));
    expect(rules(v)).toEqual(["iam-least-privilege"]);
    expect(v[0].why).toMatch(/wildcard action dynamodb:\*/);
  });

  it("flags every table", () => {
    const v = broken(({ data }) => (replicaGrant(data).resources = ["*"]));
    expect(rules(v)).toEqual(["iam-least-privilege"]);
    expect(v[0].why).toMatch(/wildcard resource \*/);
  });

  it("flags every table of the account in the region", () => {
    const v = broken(
      ({ data }) => (replicaGrant(data).resources = ["arn:aws:dynamodb:us-west-2:*:table/*"]),
    );
    expect(rules(v)).toEqual(["iam-least-privilege"]);
  });
});
