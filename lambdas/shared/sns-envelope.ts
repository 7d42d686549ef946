/**
 * What a queue receives when SNS delivers a message with raw delivery off: SNS's JSON
 * notification envelope, in which the message is a JSON string (its quotes, backslashes and
 * control characters escaped again) beside the envelope's own fields.
 */

/**
 * Largest message every queue accepts, in bytes. SQS accepts up to 1 MiB since 2025, but
 * hashicorp/aws 5.100.0 (pinned) allows `max_message_size` only up to 262144: the most it can set.
 */
export const QUEUE_MAX_MESSAGE_BYTES = 262_144;

const LONGEST_ENDPOINT = "https://sns.ap-southeast-5.amazonaws.com";
/** The longest topic ARN: the longest partition and region names, a 256-character topic name. */
const LONGEST_TOPIC_ARN = `arn:aws-us-gov:sns:ap-southeast-5:123456789012:${"t".repeat(256)}`;
const MESSAGE_ID = "00000000-0000-0000-0000-000000000000";

/** A message attribute as the API publishes it. */
export interface EnvelopeAttribute {
  readonly DataType?: string;
  readonly StringValue?: string;
}

/**
 * Bytes of the envelope SNS delivers `message` with `attributes` in, each field of SNS's own at
 * its longest (a 4096-bit key's signature, the longest topic ARN and URLs), so the answer is at
 * least what any topic of this project delivers.
 */
export function envelopeBytes(
  message: string,
  attributes: Readonly<Record<string, EnvelopeAttribute>>,
): number {
  const envelope = {
    Type: "Notification",
    MessageId: MESSAGE_ID,
    TopicArn: LONGEST_TOPIC_ARN,
    Message: message,
    Timestamp: "2026-12-02T01:10:05.123Z",
    SignatureVersion: "2",
    Signature: "A".repeat(684),
    SigningCertURL: `${LONGEST_ENDPOINT}/SimpleNotificationService-${"0".repeat(32)}.pem`,
    UnsubscribeURL: `${LONGEST_ENDPOINT}/?Action=Unsubscribe&SubscriptionArn=${LONGEST_TOPIC_ARN}:${MESSAGE_ID}`,
    MessageAttributes: Object.fromEntries(
      Object.entries(attributes).map(([name, a]) => [
        name,
        { Type: a.DataType ?? "", Value: a.StringValue ?? "" },
      ]),
    ),
  };
  return Buffer.byteLength(JSON.stringify(envelope), "utf8");
}
