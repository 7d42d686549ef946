/**
 * Environment contract of the producer API function.
 *
 * The infrastructure code sets exactly these variables on the function, by importing the names
 * from here, so the handler and the stack cannot drift apart. `AWS_REGION` is set by Lambda.
 */
import { SERVICE_NAME_ENV, STACK_ENV } from "../shared/env";

/** ARN of the stack's SNS topic, in the function's own region. */
export const ENV_TOPIC_ARN = "FANOUT_TOPIC_ARN";
/** Name of the fan-out stack the function belongs to, e.g. `primary`. */
export const ENV_STACK = STACK_ENV;
/** Service name for the structured logs, e.g. `fanout-primary-api` (read by Powertools too). */
export const ENV_SERVICE_NAME = SERVICE_NAME_ENV;
/**
 * `true` when the FIFO topic deduplicates by content: a publish may then go without a
 * deduplication id. Unset on standard topics and on FIFO topics without it.
 */
export const ENV_CONTENT_BASED_DEDUPLICATION = "FANOUT_TOPIC_CONTENT_BASED_DEDUPLICATION";
/** Region the function runs in; set by the Lambda runtime, never by the stack. */
export const ENV_REGION = "AWS_REGION";

/** The variables the stack must set on the function (AWS_REGION excluded: Lambda sets it). */
export const PRODUCER_API_ENV_NAMES = [ENV_TOPIC_ARN, ENV_STACK, ENV_SERVICE_NAME] as const;

export interface ProducerApiConfig {
  readonly topicArn: string;
  /** Topic name: the last segment of the ARN. */
  readonly topicName: string;
  /**
   * How the topic orders and deduplicates: `undefined` for a standard topic; for a FIFO topic
   * (its name ends in `.fifo`) whether it deduplicates by content.
   */
  readonly fifo?: FifoTopic;
  readonly stack: string;
  readonly service: string;
  readonly region: string;
}

/** What a publish to a FIFO topic must carry. */
export interface FifoTopic {
  /** The topic deduplicates by content: a publish needs no deduplication id. */
  readonly contentBasedDeduplication: boolean;
}

export type ConfigResult =
  | { readonly ok: true; readonly config: ProducerApiConfig }
  | { readonly ok: false; readonly problems: readonly string[] };

/** Ending of a FIFO topic's name. */
const FIFO_TOPIC_SUFFIX = ".fifo";

// arn:<partition>:sns:<region>:<account>:<topic name>
const TOPIC_ARN = /^arn:aws[a-z-]*:sns:([a-z0-9-]+):\d{12}:([A-Za-z0-9_-]{1,256}(?:\.fifo)?)$/;

/**
 * Reads and checks the configuration. Pure: takes the environment as an argument, never throws.
 * A topic in another region than the function is refused: the module-scope SNS client talks to
 * the function's region, and SNS rejects a publish to a topic of another region.
 */
export function readConfig(env: NodeJS.ProcessEnv): ConfigResult {
  const problems: string[] = [];
  const value = (name: string): string => {
    const v = env[name]?.trim() ?? "";
    if (v === "") problems.push(`${name} is not set`);
    return v;
  };
  const topicArn = value(ENV_TOPIC_ARN);
  const stack = value(ENV_STACK);
  const service = value(ENV_SERVICE_NAME);
  const region = value(ENV_REGION);

  let topicName = "";
  if (topicArn !== "") {
    const match = TOPIC_ARN.exec(topicArn);
    if (match === null) {
      problems.push(`${ENV_TOPIC_ARN} is not an SNS topic ARN: "${topicArn}"`);
    } else {
      topicName = match[2];
      if (region !== "" && match[1] !== region) {
        problems.push(
          `${ENV_TOPIC_ARN} is in region ${match[1]} but the function runs in ${region}; ` +
            "the topic must be in the function's region",
        );
      }
    }
  }

  const dedupText = env[ENV_CONTENT_BASED_DEDUPLICATION]?.trim() ?? "";
  if (!["", "true", "false"].includes(dedupText)) {
    problems.push(`${ENV_CONTENT_BASED_DEDUPLICATION} is "${dedupText}", not true, false or unset`);
  }
  const isFifo = topicName.endsWith(FIFO_TOPIC_SUFFIX);
  if (dedupText === "true" && topicName !== "" && !isFifo) {
    problems.push(`${ENV_CONTENT_BASED_DEDUPLICATION} is true but "${topicName}" is no FIFO topic`);
  }

  if (problems.length > 0) return { ok: false, problems };
  const config = { topicArn, topicName, stack, service, region };
  return {
    ok: true,
    config: isFifo
      ? { ...config, fifo: { contentBasedDeduplication: dedupText === "true" } }
      : config,
  };
}

/** What the infrastructure knows about the producer API function. */
export interface ProducerApiEnvironmentProps {
  /** ARN of the stack's topic (a Terraform reference at synth). */
  readonly topicArn: string;
  /** Stack name, e.g. `primary`. */
  readonly stack: string;
  /** Service name of the logs, e.g. `fanout-primary-api`. */
  readonly service: string;
  /**
   * The topic is a FIFO topic that deduplicates by content.
   * @default - false; the variable is left unset
   */
  readonly contentBasedDeduplication?: boolean;
}

/** The environment variables the stack sets on the function, keyed by the names read above. */
export function producerApiEnvironment(props: ProducerApiEnvironmentProps): Record<string, string> {
  return {
    [ENV_TOPIC_ARN]: props.topicArn,
    [ENV_STACK]: props.stack,
    [ENV_SERVICE_NAME]: props.service,
    ...(props.contentBasedDeduplication === true && { [ENV_CONTENT_BASED_DEDUPLICATION]: "true" }),
  };
}
