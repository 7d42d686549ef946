/**
 * The idempotency store (setting `idempotencyStore`, active-standby mode): one DynamoDB global
 * table per unit with a replica in each other region, each consumer scoped to its region's copy,
 * the expiry beyond the longest queue retention, the dashboard's duplicates widget; and nothing
 * of it when the setting is off.
 */
import { PERSISTENCE_ATTRIBUTE_KEY_MAPPINGS } from "@aws-lambda-powertools/idempotency";
import { Widget } from "../../constructs/dashboard-body";
import {
  IDEMPOTENCY_KEY_ATTRIBUTE,
  IDEMPOTENCY_TTL_ATTRIBUTE,
  idempotencyExpirySeconds,
} from "../../constructs/idempotency-table";
import { CONSUMER_ENV } from "../../lambdas/consumer/env";
import {
  consumerDimensions,
  DUPLICATES_SKIPPED_METRIC,
  METRIC_NAMESPACE,
} from "../../lambdas/shared/metrics";
import { defaultConfig, normalized, ref, resources, synthAll } from "../support/synth";
import { resourceWhere, statementsOf, type TerraformJson } from "../support/synth";

const STORE = { FANOUT_CONSUMER_MODE: "active-standby", FANOUT_IDEMPOTENCY_STORE: "true" };
const THREE = { FANOUT_STACKS: "primary=us-east-1,secondary=us-west-2,tertiary=eu-west-1" };
const DAY = 86_400;

const config = defaultConfig(STORE);
const stacks = synthAll(config);

/** The one table of a stack, by id. */
const tableOf = (json: TerraformJson) => {
  const tables = resources(json, "aws_dynamodb_table");
  expect(tables).toHaveLength(1);
  return tables[0];
};

/** Statements of every role policy of the role named `roleName`, by policy name. */
function rolePolicies(json: TerraformJson, roleName: string) {
  const [roleId] = resourceWhere(json, "aws_iam_role", "name", roleName);
  return Object.fromEntries(
    resources(json, "aws_iam_role_policy")
      .filter(([, p]) => p.role === ref("aws_iam_role", roleId, "name"))
      .map(([, p]) => [String(p.name), statementsOf(json, p.policy)]),
  );
}

function duplicatesWidgets(json: TerraformJson): Widget[] {
  const [, dashboard] = resources(json, "aws_cloudwatch_dashboard")[0];
  return (JSON.parse(String(dashboard.dashboard_body)).widgets as Widget[]).filter((w) =>
    JSON.stringify(w.properties).includes(DUPLICATES_SKIPPED_METRIC.name),
  );
}

it("matches the snapshot of the primary stack with the store on", () => {
  expect(normalized(stacks.primary.json)).toMatchSnapshot();
});

describe.each(config.units.map((u) => [u.stack, u] as const))("stack %s", (name, unit) => {
  const { json } = stacks[name];
  const [tableId, table] = tableOf(json);

  it("has one global table in the home region, replicated to every other region", () => {
    expect(table).toMatchObject({
      name: `fanout-${name}-idempotency`,
      provider: `aws.${unit.homeRegion}`,
      billing_mode: "PAY_PER_REQUEST",
      hash_key: IDEMPOTENCY_KEY_ATTRIBUTE,
      attribute: [{ name: IDEMPOTENCY_KEY_ATTRIBUTE, type: "S" }],
      stream_enabled: true,
      stream_view_type: "NEW_AND_OLD_IMAGES",
    });
    expect(table.replica).toEqual(
      unit.replicaRegions.map((region) => ({
        region_name: region,
        point_in_time_recovery: true,
        propagate_tags: true,
      })),
    );
  });

  it("encrypts with KMS, keeps point-in-time recovery, leaves deletion protection off", () => {
    expect(table).toMatchObject({
      server_side_encryption: { enabled: true },
      point_in_time_recovery: { enabled: true },
      deletion_protection_enabled: false,
    });
  });

  it("expires items by the attribute and key Powertools writes", () => {
    expect(table.ttl).toEqual({ attribute_name: IDEMPOTENCY_TTL_ATTRIBUTE, enabled: true });
    expect(IDEMPOTENCY_TTL_ATTRIBUTE).toBe(PERSISTENCE_ATTRIBUTE_KEY_MAPPINGS.expiryAttr);
    expect(IDEMPOTENCY_KEY_ATTRIBUTE).toBe("id"); // DynamoDBPersistenceLayer's default keyAttr
  });

  describe.each(unit.names.queues.map((q) => [`${q.role} consumer in ${q.region}`, q] as const))(
    "%s",
    (_, q) => {
      const [, fn] = resourceWhere(
        json,
        "aws_lambda_function",
        "function_name",
        q.consumerFunction,
      );

      it("names the table and an expiry beyond the longest queue retention", () => {
        const variables = (fn.environment as { variables: Record<string, string> }).variables;
        expect(variables[CONSUMER_ENV.idempotencyTable]).toBe(`fanout-${name}-idempotency`);
        const expiry = Number(variables[CONSUMER_ENV.idempotencyExpiresAfterSeconds]);
        expect(expiry).toBe(15 * DAY);
        expect(expiry).toBeGreaterThan(config.queues.deadLetterRetentionSeconds);
      });

      it("may write items of the table's copy in its own region, and nothing else of DynamoDB", () => {
        const policies = rolePolicies(json, q.consumerFunction);
        const copy =
          q.region === unit.homeRegion
            ? ref("aws_dynamodb_table", tableId, "arn")
            : `\${[for r in aws_dynamodb_table.${tableId}.replica : r.arn if r.region_name == "${q.region}"][0]}`;
        expect(policies["idempotency-store"]).toEqual([
          {
            sid: "MarkMessagesInOwnRegion",
            effect: "Allow",
            actions: [
              "dynamodb:PutItem",
              "dynamodb:GetItem",
              "dynamodb:UpdateItem",
              "dynamodb:DeleteItem",
            ],
            resources: [copy],
          },
        ]);
        const others = Object.entries(policies).filter(([p]) => p !== "idempotency-store");
        expect(JSON.stringify(others)).not.toContain("dynamodb");
        expect(Object.keys(policies).sort()).toEqual([
          "consume-queue",
          "idempotency-store",
          "logging",
        ]);
      });
    },
  );

  it("gives the producer API no DynamoDB access", () => {
    expect(JSON.stringify(rolePolicies(json, unit.names.apiFunction))).not.toContain("dynamodb");
  });

  it("shows the skipped duplicates of every queue on the dashboard, from the contract", () => {
    const [widget] = duplicatesWidgets(json);
    const lines = (widget.properties as { metrics: unknown[][] }).metrics;
    expect(lines).toEqual(
      unit.names.queues.map((q) => [
        METRIC_NAMESPACE,
        DUPLICATES_SKIPPED_METRIC.name,
        ...Object.entries(consumerDimensions(unit.names.unit, q.role)).flat(),
        { region: q.region, label: `${q.role} (${q.region})` },
      ]),
    );
    expect(duplicatesWidgets(json)).toHaveLength(1);
  });

  it("outputs the table's name", () => {
    expect(json.output.idempotency_table_name.value).toBe(
      ref("aws_dynamodb_table", tableId, "name"),
    );
  });
});

describe("three regions", () => {
  const three = synthAll(defaultConfig({ ...STORE, ...THREE }));

  it("replicate each unit's table to its two other regions", () => {
    for (const [name, region] of [
      ["primary", "us-east-1"],
      ["secondary", "us-west-2"],
      ["tertiary", "eu-west-1"],
    ]) {
      const [, table] = tableOf(three[name].json);
      expect(table.provider).toBe(`aws.${region}`);
      const replicas = (table.replica as { region_name: string }[]).map((r) => r.region_name);
      expect(replicas.sort()).toEqual(
        ["us-east-1", "us-west-2", "eu-west-1"].filter((r) => r !== region).sort(),
      );
    }
  });
});

describe("expiry", () => {
  it("is the longest retention of the unit's queues, dead-letter queues included, plus a day", () => {
    const queues = defaultConfig({
      ...STORE,
      FANOUT_REPLICA_RETENTION_SECONDS: String(10 * DAY),
      FANOUT_DEAD_LETTER_RETENTION_SECONDS: String(12 * DAY),
    }).queues;
    expect(idempotencyExpirySeconds(queues)).toBe(13 * DAY);
    expect(idempotencyExpirySeconds({ ...queues, activeRetentionSeconds: 13 * DAY })).toBe(
      14 * DAY,
    );
  });
});

describe("with the setting off", () => {
  const off = synthAll(defaultConfig({ FANOUT_CONSUMER_MODE: "active-standby" }));

  it("creates no table, no DynamoDB grant, no duplicates widget and no table output", () => {
    for (const { json, text } of Object.values(off)) {
      expect(resources(json, "aws_dynamodb_table")).toEqual([]);
      expect(text).not.toMatch(/dynamodb|FANOUT_IDEMPOTENCY_TABLE/);
      expect(duplicatesWidgets(json)).toEqual([]);
      expect(json.output).not.toHaveProperty("idempotency_table_name");
    }
  });
});
