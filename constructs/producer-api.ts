import { ApiGatewayDeployment } from "@cdktf/provider-aws/lib/api-gateway-deployment";
import { ApiGatewayIntegration } from "@cdktf/provider-aws/lib/api-gateway-integration";
import { ApiGatewayMethod } from "@cdktf/provider-aws/lib/api-gateway-method";
import { ApiGatewayMethodSettings } from "@cdktf/provider-aws/lib/api-gateway-method-settings";
import { ApiGatewayResource } from "@cdktf/provider-aws/lib/api-gateway-resource";
import { ApiGatewayRestApi } from "@cdktf/provider-aws/lib/api-gateway-rest-api";
import { ApiGatewayStage } from "@cdktf/provider-aws/lib/api-gateway-stage";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { Fn } from "cdktf";
import { Construct } from "constructs";
import { producerApiEnvironment } from "../lambdas/producer-api/env";
import { ROUTES } from "../lambdas/producer-api/routes";
import {
  API_ACCESS_LOG_FORMAT,
  API_STAGE_NAME,
  API_TIMEOUT_SECONDS,
  LOG_RETENTION_DAYS,
} from "./defaults";
import { ApiGatewayCloudWatchRole } from "./api-gateway-account";
import { NodejsFunction } from "./nodejs-function";
import { providerOf } from "./providers";

/** Entry of the API handler, relative to the project root. */
export const PRODUCER_API_ENTRY = "lambdas/producer-api/index.ts";

export interface ProducerApiProps {
  /** The topic the API publishes to; the API lives in the topic's region. */
  readonly topic: SnsTopic;
  /** Physical name of the REST API. */
  readonly apiName: string;
  /** Physical name of the function (and its role). */
  readonly functionName: string;
  /** Stack name, e.g. `primary`. */
  readonly stack: string;
  /** Steady-state requests per second allowed on every method of the stage. */
  readonly throttleRateLimit: number;
  /** Burst of requests allowed on every method of the stage. */
  readonly throttleBurstLimit: number;
  /** Steady-state requests per second allowed on the open (unauthenticated) routes, apart. */
  readonly healthThrottleRateLimit: number;
  /** Burst of requests allowed on the open (unauthenticated) routes, apart. */
  readonly healthThrottleBurstLimit: number;
  /**
   * Retention of the function's log group and of the stage's access log, in days.
   * @default - 14 days
   */
  readonly logRetentionDays?: number;
  /**
   * When given, the API sets its region's API Gateway account settings (one per account and
   * region) to a role of this name that may write its access log, before the stage that needs
   * them (`ApiGatewayCloudWatchRole`).
   * @default - the settings are left alone: set once outside this app (docs/deploy.md)
   */
  readonly accountCloudWatchRoleName?: string;
  /**
   * The topic is a FIFO topic with content-based deduplication: the API publishes without a
   * deduplication id when the request has no `Idempotency-Key`.
   * @default - false: on a FIFO topic every publish carries the key as its deduplication id
   */
  readonly contentBasedDeduplication?: boolean;
}

/** The API's routes, from the handler's table: a path part (`messages`), method and authorization. */
export const PRODUCER_API_ROUTES = Object.entries(ROUTES).map(([path, route]) => ({
  path: path.replace(/^\//, ""),
  method: route.method,
  authorization: route.authorization,
}));

/**
 * The producers' front door of a fan-out unit: a regional REST API in the topic's region with
 * `POST /messages` (IAM-authorized, publishes to the topic) and `GET /health` (no auth, for
 * Route 53 health checks), both proxied to one function whose role may only publish to this
 * topic. The stage throttles every method (the open health route has limits of its own) and
 * logs every request as JSON to a log group of its own.
 */
export class ProducerApi extends Construct {
  /** The REST API. */
  public readonly api: ApiGatewayRestApi;
  /** The stage producers call. */
  public readonly stage: ApiGatewayStage;
  /** The function behind both routes. */
  public readonly function: NodejsFunction;
  /** The stage's access log: one JSON line per request. */
  public readonly accessLogGroup: CloudwatchLogGroup;
  /** Base URL of the stage. */
  public readonly url: string;

  constructor(scope: Construct, id: string, props: ProducerApiProps) {
    super(scope, id);
    const { topic } = props;
    const provider = providerOf(topic);

    this.function = new NodejsFunction(this, "function", {
      provider,
      functionName: props.functionName,
      entry: PRODUCER_API_ENTRY,
      description: `Producer API of ${props.apiName}: publishes to ${props.stack}'s topic`,
      environment: producerApiEnvironment({
        topicArn: topic.arn,
        stack: props.stack,
        service: props.functionName,
        contentBasedDeduplication: props.contentBasedDeduplication,
      }),
      timeoutSeconds: API_TIMEOUT_SECONDS,
      logRetentionDays: props.logRetentionDays,
    });
    // The topic uses the AWS-managed SNS key, whose key policy admits in-account principals
    // through SNS: publishing needs no KMS permission of the caller.
    this.function.addPolicy("publish", [
      {
        sid: "PublishToOwnTopic",
        effect: "Allow",
        actions: ["sns:Publish"],
        resources: [topic.arn],
      },
      {
        // GET /health reads the topic to tell whether the region can publish.
        sid: "CheckOwnTopic",
        effect: "Allow",
        actions: ["sns:GetTopicAttributes"],
        resources: [topic.arn],
      },
    ]);

    this.api = new ApiGatewayRestApi(this, "api", {
      provider,
      name: props.apiName,
      description: `Producer API of the ${props.stack} fan-out unit`,
      endpointConfiguration: { types: ["REGIONAL"] },
    });

    const definition: string[] = [];
    const dependsOn: ApiGatewayIntegration[] = [];
    for (const route of PRODUCER_API_ROUTES) {
      const resource = new ApiGatewayResource(this, `${route.path}-resource`, {
        provider,
        restApiId: this.api.id,
        parentId: this.api.rootResourceId,
        pathPart: route.path,
      });
      const method = new ApiGatewayMethod(this, `${route.path}-method`, {
        provider,
        restApiId: this.api.id,
        resourceId: resource.id,
        httpMethod: route.method,
        authorization: route.authorization,
      });
      const integration = new ApiGatewayIntegration(this, `${route.path}-integration`, {
        provider,
        restApiId: this.api.id,
        resourceId: resource.id,
        httpMethod: method.httpMethod,
        type: "AWS_PROXY",
        integrationHttpMethod: "POST",
        uri: this.function.function.invokeArn,
      });
      new LambdaPermission(this, `${route.path}-permission`, {
        provider,
        statementId: `AllowApiGateway${route.method}${route.path}`,
        action: "lambda:InvokeFunction",
        functionName: this.function.function.functionName,
        principal: "apigateway.amazonaws.com",
        sourceArn: `${this.api.executionArn}/${API_STAGE_NAME}/${route.method}/${route.path}`,
      });
      definition.push(
        resource.id,
        method.id,
        method.authorization,
        integration.id,
        integration.uri,
      );
      dependsOn.push(integration);
    }

    // A new deployment whenever a route, method or integration changes.
    const deployment = new ApiGatewayDeployment(this, "deployment", {
      provider,
      restApiId: this.api.id,
      triggers: { redeployment: Fn.sha1(Fn.jsonencode(definition)) },
      lifecycle: { createBeforeDestroy: true },
      dependsOn,
    });
    // CloudWatch Logs encrypts it at rest, as the functions' log groups.
    this.accessLogGroup = new CloudwatchLogGroup(this, "access-log-group", {
      provider,
      name: `/aws/apigateway/${props.apiName}/${API_STAGE_NAME}/access`,
      retentionInDays: props.logRetentionDays ?? LOG_RETENTION_DAYS,
    });
    const account =
      props.accountCloudWatchRoleName === undefined
        ? undefined
        : new ApiGatewayCloudWatchRole(this, "account", {
            logGroup: this.accessLogGroup,
            roleName: props.accountCloudWatchRoleName,
          }).account;
    this.stage = new ApiGatewayStage(this, "stage", {
      provider,
      restApiId: this.api.id,
      deploymentId: deployment.id,
      stageName: API_STAGE_NAME,
      accessLogSettings: {
        destinationArn: this.accessLogGroup.arn,
        format: API_ACCESS_LOG_FORMAT,
      },
      dependsOn: account === undefined ? undefined : [account],
    });
    const throttling = new ApiGatewayMethodSettings(this, "throttling", {
      provider,
      restApiId: this.api.id,
      stageName: this.stage.stageName,
      methodPath: "*/*",
      settings: {
        throttlingRateLimit: props.throttleRateLimit,
        throttlingBurstLimit: props.throttleBurstLimit,
      },
    });
    // An open route has limits of its own, so a flood of unauthenticated requests cannot spend
    // the budget of the signed ones, nor the function's concurrency they share.
    for (const route of PRODUCER_API_ROUTES.filter((r) => r.authorization === "NONE")) {
      new ApiGatewayMethodSettings(this, `${route.path}-throttling`, {
        provider,
        restApiId: this.api.id,
        stageName: this.stage.stageName,
        methodPath: `${route.path}/${route.method}`,
        settings: {
          throttlingRateLimit: props.healthThrottleRateLimit,
          throttlingBurstLimit: props.healthThrottleBurstLimit,
        },
        // Settings of one stage are written one at a time (concurrent writes conflict).
        dependsOn: [throttling],
      });
    }
    this.url = this.stage.invokeUrl;
  }
}
