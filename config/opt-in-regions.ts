/**
 * Opt-in regions, and what they change about SNS deliveries across regions.
 *
 * Source: "Sending Amazon SNS messages to an Amazon SQS queue or AWS Lambda function in a
 * different Region" (https://docs.aws.amazon.com/sns/latest/dg/sns-cross-region-delivery.html),
 * its table of opt-in regions, and its rule that every region launched after 20 March 2019 is
 * an opt-in region (which adds the regions launched since the table was written). Lambda's
 * page on the same subject (https://docs.aws.amazon.com/sns/latest/dg/lambda-prereq.html)
 * adds: SNS does not forward messages from one opt-in region to another.
 *
 * - A topic in an opt-in region delivers to a queue in another region as the regional service
 *   principal `sns.<topic-region>.amazonaws.com`; a queue policy that allows only
 *   `sns.amazonaws.com` refuses those deliveries, and they vanish.
 * - Into a queue in an opt-in region from a topic elsewhere, the documentation names no
 *   principal; the queue policy allows both the global and the queue region's principal, each
 *   only for the one topic (`aws:SourceArn`), so either way the delivery is accepted.
 * - Between two different opt-in regions there is no delivery: refused at synth.
 */

/** Opt-in regions SNS documents, and those launched after 20 March 2019 since then. */
export const OPT_IN_REGIONS: ReadonlySet<string> = new Set([
  // The SNS documentation's table.
  "af-south-1",
  "ap-east-1",
  "ap-northeast-3",
  "ap-south-2",
  "ap-southeast-3",
  "ap-southeast-4",
  "eu-central-2",
  "eu-south-1",
  "eu-south-2",
  "il-central-1",
  "me-central-1",
  "me-south-1",
  // Launched later; opt-in by the same rule.
  "ap-east-2",
  "ap-southeast-5",
  "ap-southeast-6",
  "ap-southeast-7",
  "ca-west-1",
  "mx-central-1",
]);

/** Service principal SNS uses everywhere outside opt-in regions. */
export const SNS_PRINCIPAL = "sns.amazonaws.com";

export const isOptInRegion = (region: string): boolean => OPT_IN_REGIONS.has(region);

/** The regional SNS service principal of `region`. */
export const regionalSnsPrincipal = (region: string): string => `sns.${region}.amazonaws.com`;

/**
 * Service principals a queue in `queueRegion` must allow for deliveries from a topic in
 * `topicRegion` (see the module comment for the rules and their source).
 */
export function snsPrincipalsFor(topicRegion: string, queueRegion: string): string[] {
  if (topicRegion === queueRegion) return [SNS_PRINCIPAL];
  if (isOptInRegion(topicRegion)) return [regionalSnsPrincipal(topicRegion)];
  if (isOptInRegion(queueRegion)) return [SNS_PRINCIPAL, regionalSnsPrincipal(queueRegion)];
  return [SNS_PRINCIPAL];
}

/**
 * Why SNS cannot deliver from a topic in `topicRegion` to a queue in `queueRegion`, or
 * undefined when it can.
 */
export function crossRegionDeliveryProblem(
  topicRegion: string,
  queueRegion: string,
): string | undefined {
  if (topicRegion !== queueRegion && isOptInRegion(topicRegion) && isOptInRegion(queueRegion)) {
    return `SNS does not deliver from one opt-in region to another (${topicRegion} -> ${queueRegion})`;
  }
  return undefined;
}
