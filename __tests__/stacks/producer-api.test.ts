import { producerApiEnvironment } from "../../lambdas/producer-api/env";
import {
  defaultConfig,
  ref,
  resources,
  resourceWhere,
  statementsOf,
  synthAll,
  TerraformJson,
} from "../support/synth";

const config = defaultConfig();
const stacks = synthAll(config);

// The method settings of the stage for one method path ("*/*": the stage's default).
const methodSettings = (json: TerraformJson, methodPath: string) =>
  resourceWhere(json, "aws_api_gateway_method_settings", "method_path", methodPath);

describe.each(config.units.map((u) => [u.stack, u] as const))(
  "producer API of %s",
  (name, unit) => {
    const { json } = stacks[name];
    const home = `aws.${unit.homeRegion}`;
    const [apiId, api] = resourceWhere(json, "aws_api_gateway_rest_api", "name", unit.names.api);
    const [fnId, fn] = resourceWhere(
      json,
      "aws_lambda_function",
      "function_name",
      unit.names.apiFunction,
    );
    const [topicId] = resourceWhere(json, "aws_sns_topic", "name", `fanout-${name}-topic`);
    const restApiId = ref("aws_api_gateway_rest_api", apiId, "id");

    const route = (path: string) => {
      const [resourceId] = resourceWhere(json, "aws_api_gateway_resource", "path_part", path);
      const [, method] = resourceWhere(
        json,
        "aws_api_gateway_method",
        "resource_id",
        ref("aws_api_gateway_resource", resourceId, "id"),
      );
      const [, integration] = resourceWhere(
        json,
        "aws_api_gateway_integration",
        "resource_id",
        ref("aws_api_gateway_resource", resourceId, "id"),
      );
      return { method, integration };
    };

    it("is a regional REST API in the home region", () => {
      expect(api).toMatchObject({
        provider: home,
        endpoint_configuration: { types: ["REGIONAL"] },
      });
    });

    it("requires IAM (SigV4) on POST /messages", () => {
      expect(route("messages").method).toMatchObject({
        provider: home,
        rest_api_id: restApiId,
        http_method: "POST",
        authorization: "AWS_IAM",
      });
    });

    it("leaves GET /health open for health checks", () => {
      expect(route("health").method).toMatchObject({ http_method: "GET", authorization: "NONE" });
    });

    it.each(["messages", "health"])("proxies /%s to the function", (path) => {
      expect(route(path).integration).toMatchObject({
        type: "AWS_PROXY",
        integration_http_method: "POST",
        uri: ref("aws_lambda_function", fnId, "invoke_arn"),
      });
    });

    it("lets API Gateway invoke the function only for this API's two routes", () => {
      const permissions = resources(json, "aws_lambda_permission").map(([, p]) => p);
      expect(permissions.map((p) => p.source_arn).sort()).toEqual(
        [
          `${ref("aws_api_gateway_rest_api", apiId, "execution_arn")}/v1/GET/health`,
          `${ref("aws_api_gateway_rest_api", apiId, "execution_arn")}/v1/POST/messages`,
        ].sort(),
      );
      for (const p of permissions) {
        expect(p).toMatchObject({
          provider: home,
          action: "lambda:InvokeFunction",
          principal: "apigateway.amazonaws.com",
          function_name: ref("aws_lambda_function", fnId, "function_name"),
        });
      }
    });

    it("throttles every method of the stage with the configured limits", () => {
      const [, settings] = methodSettings(json, "*/*");
      expect(settings).toMatchObject({
        method_path: "*/*",
        settings: { throttling_rate_limit: 100, throttling_burst_limit: 200 },
      });
    });

    it("gives the open GET /health limits of its own, written after the stage's", () => {
      const [stageId] = resources(json, "aws_api_gateway_stage")[0];
      const [defaultsId] = methodSettings(json, "*/*");
      const [, health] = methodSettings(json, "health/GET");
      expect(health).toMatchObject({
        provider: home,
        rest_api_id: restApiId,
        stage_name: ref("aws_api_gateway_stage", stageId, "stage_name"),
        settings: { throttling_rate_limit: 10, throttling_burst_limit: 20 },
        depends_on: [`aws_api_gateway_method_settings.${defaultsId}`],
      });
      // Only the open route: the signed one keeps the stage's limits.
      expect(resources(json, "aws_api_gateway_method_settings")).toHaveLength(2);
    });

    it("redeploys when the API definition changes", () => {
      const [deploymentId, deployment] = resources(json, "aws_api_gateway_deployment")[0];
      expect(deployment).toMatchObject({
        rest_api_id: restApiId,
        lifecycle: { create_before_destroy: true },
      });
      expect(String((deployment.triggers as Record<string, string>).redeployment)).toMatch(
        /^\$\{sha1\(jsonencode\(\[.*aws_api_gateway_integration.*\]\)\)\}$/,
      );
      const [, stage] = resources(json, "aws_api_gateway_stage")[0];
      expect(stage).toMatchObject({
        stage_name: "v1",
        deployment_id: ref("aws_api_gateway_deployment", deploymentId, "id"),
      });
    });

    it("runs a function that may publish to and read this stack's topic and nothing else", () => {
      expect(fn).toMatchObject({ provider: home, runtime: "nodejs22.x", architectures: ["arm64"] });
      const [roleId] = resourceWhere(json, "aws_iam_role", "name", unit.names.apiFunction);
      const policies = resources(json, "aws_iam_role_policy")
        .filter(([, p]) => p.role === ref("aws_iam_role", roleId, "name"))
        .map(([, p]) => [p.name, statementsOf(json, p.policy)]);
      expect(Object.fromEntries(policies).publish).toEqual([
        {
          sid: "PublishToOwnTopic",
          effect: "Allow",
          actions: ["sns:Publish"],
          resources: [ref("aws_sns_topic", topicId, "arn")],
        },
        {
          sid: "CheckOwnTopic",
          effect: "Allow",
          actions: ["sns:GetTopicAttributes"],
          resources: [ref("aws_sns_topic", topicId, "arn")],
        },
      ]);
      expect(policies.map(([n]) => n).sort()).toEqual(["logging", "publish"]);
    });

    it("tells the function its topic, stack and service", () => {
      expect((fn.environment as { variables: object }).variables).toEqual({
        ...producerApiEnvironment({
          topicArn: ref("aws_sns_topic", topicId, "arn"),
          stack: name,
          service: unit.names.apiFunction,
        }),
        NODE_OPTIONS: "--enable-source-maps",
      });
    });

    it("outputs the API, messages and health URLs", () => {
      const [stageId] = resources(json, "aws_api_gateway_stage")[0];
      const base = ref("aws_api_gateway_stage", stageId, "invoke_url");
      expect(json.output.api_url.value).toBe(base);
      expect(json.output.messages_url.value).toBe(`${base}/messages`);
      expect(json.output.health_url.value).toBe(`${base}/health`);
    });
  },
);

it("takes throttling limits from the configuration", () => {
  const { json } = synthAll(
    defaultConfig({ FANOUT_API_THROTTLE_RATE_LIMIT: "7", FANOUT_API_THROTTLE_BURST_LIMIT: "9" }),
  ).primary;
  const [, settings] = methodSettings(json, "*/*");
  expect(settings.settings).toEqual({ throttling_rate_limit: 7, throttling_burst_limit: 9 });
});

it("takes the health route's throttling limits from the configuration", () => {
  const { json } = synthAll(
    defaultConfig({
      FANOUT_API_HEALTH_THROTTLE_RATE_LIMIT: "3",
      FANOUT_API_HEALTH_THROTTLE_BURST_LIMIT: "4",
    }),
  ).primary;
  expect(methodSettings(json, "health/GET")[1].settings).toEqual({
    throttling_rate_limit: 3,
    throttling_burst_limit: 4,
  });
  expect(methodSettings(json, "*/*")[1].settings).toEqual({
    throttling_rate_limit: 100,
    throttling_burst_limit: 200,
  });
});
