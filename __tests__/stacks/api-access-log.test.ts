/**
 * The producer API stage's JSON access log, and the region's API Gateway account settings it
 * needs, which the app sets only when told to (they are one per account and region).
 */
import { apiGatewayCloudWatchRoleName } from "../../config/config";
import { defaultConfig, synthAll, type TerraformJson } from "../support/synth";
import { ref, resources, resourceWhere, statementsOf } from "../support/synth";

const config = defaultConfig();
const stacks = synthAll(config);

const stageOf = (json: TerraformJson) => resources(json, "aws_api_gateway_stage")[0];
const accessLogGroupOf = (json: TerraformJson, api: string) =>
  resourceWhere(json, "aws_cloudwatch_log_group", "name", `/aws/apigateway/${api}/v1/access`);

describe.each(config.units.map((u) => [u.stack, u] as const))("access log of %s", (name, unit) => {
  const { json } = stacks[name];
  const [groupId, group] = accessLogGroupOf(json, unit.names.api);
  const [, stage] = stageOf(json);
  const settings = stage.access_log_settings as { destination_arn: string; format: string };

  it("goes to a log group of the stack in the home region, with the configured retention", () => {
    expect(group).toMatchObject({
      provider: `aws.${unit.homeRegion}`,
      retention_in_days: config.logRetentionDays,
    });
    expect(settings.destination_arn).toBe(ref("aws_cloudwatch_log_group", groupId, "arn"));
  });

  it("is one JSON object per request: who called, from where, what, and how it ended", () => {
    const format = JSON.parse(settings.format) as Record<string, string>;
    expect(format).toMatchObject({
      requestId: "$context.requestId",
      userArn: "$context.identity.userArn",
      caller: "$context.identity.caller",
      sourceIp: "$context.identity.sourceIp",
      httpMethod: "$context.httpMethod",
      resourcePath: "$context.resourcePath",
      status: "$context.status",
      responseLatencyMs: "$context.responseLatency",
      errorType: "$context.error.responseType",
    });
    // Every value is a $context variable; none is a header the caller writes.
    for (const value of Object.values(format)) expect(value).toMatch(/^\$context\.[a-zA-Z.]+$/);
    expect(Object.values(format)).not.toContain("$context.identity.userAgent");
  });

  it("leaves the region's API Gateway account settings alone by default", () => {
    expect(resources(json, "aws_api_gateway_account")).toEqual([]);
    expect(stage.depends_on).toBeUndefined();
  });
});

describe("with manageApiGatewayAccount", () => {
  const managed = defaultConfig({
    FANOUT_MANAGE_API_GATEWAY_ACCOUNT: "true",
    FANOUT_LOG_RETENTION_DAYS: "30",
  });
  const all = synthAll(managed);

  it.each(managed.units.map((u) => [u.stack, u] as const))(
    "%s sets its home region's CloudWatch role before the stage that logs",
    (name, unit) => {
      const { json } = all[name];
      const home = `aws.${unit.homeRegion}`;
      const accounts = resources(json, "aws_api_gateway_account");
      expect(accounts).toHaveLength(1);
      const [accountId, account] = accounts[0];
      const [roleId, role] = resourceWhere(
        json,
        "aws_iam_role",
        "name",
        apiGatewayCloudWatchRoleName(unit.names),
      );
      expect(account).toMatchObject({
        provider: home,
        cloudwatch_role_arn: ref("aws_iam_role", roleId, "arn"),
        reset_on_delete: true,
      });
      expect(statementsOf(json, role.assume_role_policy)).toEqual([
        expect.objectContaining({
          actions: ["sts:AssumeRole"],
          principals: [{ type: "Service", identifiers: ["apigateway.amazonaws.com"] }],
        }),
      ]);
      // The role may write this stack's access log and nothing else.
      const [groupId] = accessLogGroupOf(json, unit.names.api);
      const policies = resources(json, "aws_iam_role_policy").filter(
        ([, p]) => p.role === ref("aws_iam_role", roleId, "name"),
      );
      expect(policies.map(([, p]) => statementsOf(json, p.policy))).toEqual([
        [
          {
            sid: "WriteAccessLog",
            effect: "Allow",
            actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
            resources: [`${ref("aws_cloudwatch_log_group", groupId, "arn")}:*`],
          },
        ],
      ]);
      expect(resources(json, "aws_iam_role_policy_attachment")).toEqual([]);
      expect(stageOf(json)[1].depends_on).toEqual([`aws_api_gateway_account.${accountId}`]);
      expect(accessLogGroupOf(json, unit.names.api)[1].retention_in_days).toBe(30);
    },
  );

  it("names each stack's role apart, within IAM's 64 characters", () => {
    const names = managed.units.map((u) => apiGatewayCloudWatchRoleName(u.names));
    expect(new Set(names).size).toBe(names.length);
    for (const unit of managed.units) {
      const roleName = apiGatewayCloudWatchRoleName(unit.names);
      expect(roleName.length).toBeLessThanOrEqual(64);
      // Shorter than the replica consumers' role names, which the loader checks.
      for (const q of unit.names.queues.filter((x) => x.role === "replica")) {
        expect(roleName.length).toBeLessThan(q.consumerFunction.length);
      }
    }
  });
});
