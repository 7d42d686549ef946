import {
  ENV_REGION,
  ENV_SERVICE_NAME,
  ENV_STACK,
  ENV_TOPIC_ARN,
  PRODUCER_API_ENV_NAMES,
  readConfig,
} from "../env";
import { FUNCTION_ENV, REGION, SERVICE, STACK, TOPIC_ARN } from "./factories";

describe("env contract", () => {
  it("names the variables the stack must set", () => {
    expect(PRODUCER_API_ENV_NAMES).toEqual([
      "FANOUT_TOPIC_ARN",
      "FANOUT_STACK",
      "POWERTOOLS_SERVICE_NAME",
    ]);
    expect(ENV_REGION).toBe("AWS_REGION");
  });
});

describe("readConfig", () => {
  it("reads a complete environment", () => {
    expect(readConfig({ ...FUNCTION_ENV })).toEqual({
      ok: true,
      config: {
        topicArn: TOPIC_ARN,
        topicName: "fanout-primary-topic",
        stack: STACK,
        service: SERVICE,
        region: REGION,
      },
    });
  });

  it("accepts topics of other partitions", () => {
    const env = {
      ...FUNCTION_ENV,
      [ENV_REGION]: "cn-north-1",
      [ENV_TOPIC_ARN]: "arn:aws-cn:sns:cn-north-1:123456789012:t",
    };
    expect(readConfig(env)).toMatchObject({ ok: true, config: { topicName: "t" } });
  });

  it.each([ENV_TOPIC_ARN, ENV_STACK, ENV_SERVICE_NAME, ENV_REGION])(
    "names %s when it is missing or blank",
    (name) => {
      for (const value of [undefined, "", "  "]) {
        expect(readConfig({ ...FUNCTION_ENV, [name]: value })).toEqual({
          ok: false,
          problems: [`${name} is not set`],
        });
      }
    },
  );

  it("lists every problem at once", () => {
    const result = readConfig({});
    expect(result.ok ? [] : result.problems).toEqual([
      `${ENV_TOPIC_ARN} is not set`,
      `${ENV_STACK} is not set`,
      `${ENV_SERVICE_NAME} is not set`,
      `${ENV_REGION} is not set`,
    ]);
  });

  it.each([
    "fanout-primary-topic",
    "arn:aws:sqs:us-east-1:123456789012:fanout-primary-active",
    "arn:aws:sns:us-east-1:1234:fanout",
    "arn:aws:sns:us-east-1:123456789012:bad name",
  ])("refuses %j as a topic ARN", (arn) => {
    expect(readConfig({ ...FUNCTION_ENV, [ENV_TOPIC_ARN]: arn })).toEqual({
      ok: false,
      problems: [expect.stringContaining("is not an SNS topic ARN")],
    });
  });

  it("refuses a topic in another region than the function", () => {
    const env = { ...FUNCTION_ENV, [ENV_TOPIC_ARN]: TOPIC_ARN.replace("us-east-1", "us-west-2") };
    expect(readConfig(env)).toEqual({
      ok: false,
      problems: [
        expect.stringContaining("is in region us-west-2 but the function runs in us-east-1"),
      ],
    });
  });
});
