/**
 * What is left in each region of the emulator: after `cdktf destroy` it must be nothing.
 *
 * Every resource type the stacks create is covered by one listing here (`COVERAGE`); a type the
 * stacks start to create without a listing fails `uncoveredTypes`, so "nothing left" cannot
 * silently skip a new kind of resource.
 */
import {
  ListDashboardsCommand,
  DescribeAlarmsCommand,
  CloudWatchClient,
} from "@aws-sdk/client-cloudwatch";
import { CloudWatchLogsClient, DescribeLogGroupsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { APIGatewayClient, GetRestApisCommand } from "@aws-sdk/client-api-gateway";
import { IAMClient, ListRolesCommand } from "@aws-sdk/client-iam";
import {
  DescribeKeyCommand,
  KMSClient,
  ListAliasesCommand,
  ListKeysCommand,
} from "@aws-sdk/client-kms";
import {
  LambdaClient,
  ListEventSourceMappingsCommand,
  ListFunctionsCommand,
} from "@aws-sdk/client-lambda";
import { ListSubscriptionsCommand, ListTopicsCommand, SNSClient } from "@aws-sdk/client-sns";
import { ListQueuesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { LOCAL_CREDENTIALS } from "./deployment";

/** A listing of one kind of resource in one region. */
type Kind =
  | "sqs queue"
  | "sns topic"
  | "sns subscription"
  | "lambda function"
  | "event source mapping"
  | "iam role"
  | "log group"
  | "cloudwatch alarm"
  | "cloudwatch dashboard"
  | "rest api"
  | "kms key"
  | "kms alias"
  | "dynamodb table";

/**
 * Resource type -> the listing that shows it. Types that live inside another resource (a
 * queue's policy, an API's method) go when their parent goes, so the parent's listing covers
 * them.
 */
export const COVERAGE: Readonly<Record<string, Kind>> = {
  aws_sqs_queue: "sqs queue",
  aws_sqs_queue_policy: "sqs queue",
  aws_sqs_queue_redrive_allow_policy: "sqs queue",
  aws_sqs_queue_redrive_policy: "sqs queue",
  aws_sns_topic: "sns topic",
  aws_sns_topic_policy: "sns topic",
  aws_sns_topic_subscription: "sns subscription",
  aws_lambda_function: "lambda function",
  aws_lambda_permission: "lambda function",
  aws_lambda_event_source_mapping: "event source mapping",
  aws_iam_role: "iam role",
  aws_iam_role_policy: "iam role",
  // The region's API Gateway account settings only name a role; destroy resets them.
  aws_api_gateway_account: "iam role",
  aws_cloudwatch_log_group: "log group",
  aws_cloudwatch_metric_alarm: "cloudwatch alarm",
  aws_cloudwatch_dashboard: "cloudwatch dashboard",
  aws_api_gateway_rest_api: "rest api",
  aws_api_gateway_resource: "rest api",
  aws_api_gateway_method: "rest api",
  aws_api_gateway_integration: "rest api",
  aws_api_gateway_deployment: "rest api",
  aws_api_gateway_stage: "rest api",
  aws_api_gateway_method_settings: "rest api",
  aws_kms_key: "kms key",
  aws_kms_alias: "kms alias",
  // A global table's replicas are tables of their regions, listed there.
  aws_dynamodb_table: "dynamodb table",
};

/** Resource types with no listing here. */
export function uncoveredTypes(types: Iterable<string>): string[] {
  return [...new Set(types)].filter((t) => COVERAGE[t] === undefined).sort();
}

/** One resource still there. */
export interface Leftover {
  readonly region: string;
  readonly kind: Kind;
  readonly name: string;
}

/** Everything of every covered kind in each region, through that region's endpoint. */
export async function leftovers(endpoints: Readonly<Record<string, string>>): Promise<Leftover[]> {
  const found: Leftover[] = [];
  for (const [region, endpoint] of Object.entries(endpoints)) {
    const config = { region, endpoint, credentials: LOCAL_CREDENTIALS };
    const add = (kind: Kind, names: readonly (string | undefined)[]) => {
      for (const name of names) found.push({ region, kind, name: name ?? "?" });
    };
    /** Adds the name of every item a listing answers. */
    const list = async <T>(
      kind: Kind,
      items: Promise<readonly T[] | undefined>,
      name: (item: T) => string | undefined,
    ) => add(kind, ((await items) ?? []).map(name));
    const sqs = new SQSClient(config);
    const sns = new SNSClient(config);
    const lambda = new LambdaClient(config);
    const logs = new CloudWatchLogsClient(config);
    const cloudWatch = new CloudWatchClient(config);
    const apiGateway = new APIGatewayClient(config);
    const kms = new KMSClient(config);
    const dynamodb = new DynamoDBClient(config);
    try {
      await list(
        "sqs queue",
        sqs.send(new ListQueuesCommand({})).then((r) => r.QueueUrls),
        (url) => url,
      );
      await list(
        "sns topic",
        sns.send(new ListTopicsCommand({})).then((r) => r.Topics),
        (t) => t.TopicArn,
      );
      await list(
        "sns subscription",
        sns.send(new ListSubscriptionsCommand({})).then((r) => r.Subscriptions),
        (x) => x.SubscriptionArn,
      );
      await list(
        "lambda function",
        lambda.send(new ListFunctionsCommand({})).then((r) => r.Functions),
        (f) => f.FunctionName,
      );
      await list(
        "event source mapping",
        lambda.send(new ListEventSourceMappingsCommand({})).then((r) => r.EventSourceMappings),
        (m) => `${m.UUID} (${m.EventSourceArn})`,
      );
      await list(
        "log group",
        logs.send(new DescribeLogGroupsCommand({})).then((r) => r.logGroups),
        (g) => g.logGroupName,
      );
      await list(
        "cloudwatch alarm",
        cloudWatch.send(new DescribeAlarmsCommand({})).then((r) => r.MetricAlarms),
        (a) => a.AlarmName,
      );
      await list(
        "cloudwatch dashboard",
        cloudWatch.send(new ListDashboardsCommand({})).then((r) => r.DashboardEntries),
        (d) => d.DashboardName,
      );
      await list(
        "rest api",
        apiGateway.send(new GetRestApisCommand({})).then((r) => r.items),
        (a) => a.name,
      );
      // A deleted KMS key waits out its deletion window: only keys not pending deletion count.
      for (const key of (await kms.send(new ListKeysCommand({}))).Keys ?? []) {
        const { KeyMetadata } = await kms.send(new DescribeKeyCommand({ KeyId: key.KeyId }));
        if (KeyMetadata?.KeyManager === "CUSTOMER" && KeyMetadata.KeyState !== "PendingDeletion") {
          add("kms key", [key.KeyId]);
        }
      }
      add(
        "kms alias",
        ((await kms.send(new ListAliasesCommand({}))).Aliases ?? [])
          .map((a) => a.AliasName)
          .filter((name) => name !== undefined && !name.startsWith("alias/aws/")),
      );
      add("dynamodb table", (await dynamodb.send(new ListTablesCommand({}))).TableNames ?? []);
    } finally {
      const clients = [sqs, sns, lambda, logs, cloudWatch, apiGateway, kms, dynamodb];
      for (const client of clients) client.destroy();
    }
  }
  // IAM is global: list it once, through the first region's endpoint.
  const [first] = Object.entries(endpoints);
  if (first !== undefined) {
    const iam = new IAMClient({
      region: first[0],
      endpoint: first[1],
      credentials: LOCAL_CREDENTIALS,
    });
    try {
      const roles = (await iam.send(new ListRolesCommand({}))).Roles ?? [];
      for (const role of roles)
        found.push({ region: "global", kind: "iam role", name: role.RoleName ?? "?" });
    } finally {
      iam.destroy();
    }
  }
  return found;
}

/** `nothing left in us-east-1, us-west-2` or one line per leftover. */
export function formatLeftovers(regions: readonly string[], found: readonly Leftover[]): string[] {
  if (found.length === 0) return [`nothing left in ${regions.join(", ")} (IAM included)`];
  return [
    `${found.length} resource(s) left:`,
    ...found.map((l) => `  ${l.region}  ${l.kind}  ${l.name}`),
  ];
}
