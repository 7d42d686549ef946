/**
 * Which queues a stack's topic filters: a subscription with a filter policy delivers only the
 * messages that match it, so a message missing from that queue is filtered out, not lost.
 */
import {
  GetSubscriptionAttributesCommand,
  ListSubscriptionsByTopicCommand,
  type SNSClient,
} from "@aws-sdk/client-sns";
import type { StackOutputs } from "./outputs";

/**
 * ARNs of the queues whose subscription to their stack's topic has a filter policy, read from
 * SNS in each stack's home region (`sns:ListSubscriptionsByTopic`, `sns:GetSubscriptionAttributes`).
 */
export async function filteredQueueArns(
  stacks: readonly StackOutputs[],
  sns: (region: string) => SNSClient,
): Promise<Set<string>> {
  const filtered = new Set<string>();
  for (const stack of stacks) {
    const client = sns(stack.region());
    let NextToken: string | undefined;
    do {
      const page = await client.send(
        new ListSubscriptionsByTopicCommand({ TopicArn: stack.string("topic_arn"), NextToken }),
      );
      for (const { Protocol, SubscriptionArn, Endpoint } of page.Subscriptions ?? []) {
        if (Protocol !== "sqs" || Endpoint === undefined || !SubscriptionArn?.startsWith("arn:")) {
          continue;
        }
        const { Attributes } = await client.send(
          new GetSubscriptionAttributesCommand({ SubscriptionArn }),
        );
        if (Attributes?.FilterPolicy) filtered.add(Endpoint);
      }
      NextToken = page.NextToken;
    } while (NextToken);
  }
  return filtered;
}
