/**
 * AWS SDK clients, one per service and region, created on first use and shared. Commands take an
 * `AwsClients` so tests can hand in mocked clients.
 */
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { SNSClient } from "@aws-sdk/client-sns";
import { SQSClient } from "@aws-sdk/client-sqs";
import { fromNodeProviderChain } from "@aws-sdk/credential-providers";

/** What the SDK accepts as credentials: static keys or a provider function. */
export type Credentials =
  | ReturnType<typeof fromNodeProviderChain>
  | {
      readonly accessKeyId: string;
      readonly secretAccessKey: string;
      readonly sessionToken?: string;
    };

export interface AwsClients {
  sns(region: string): SNSClient;
  sqs(region: string): SQSClient;
  cloudWatch(region: string): CloudWatchClient;
  /** Closes every client's sockets. */
  destroy(): void;
}

/**
 * Clients that share one credential provider (the SDK's default chain unless given): environment,
 * shared config and SSO profiles, container and instance roles. It is resolved once, on the first
 * call, so a missing configuration surfaces as one CredentialsProviderError.
 *
 * `endpoints` sends every call of a region to that URL instead of AWS's public endpoint (the
 * outputs file's `_endpoints`); regions it does not name use AWS.
 */
export function createAwsClients(
  credentials: Credentials = fromNodeProviderChain(),
  endpoints: Readonly<Record<string, string>> = {},
): AwsClients {
  const cache = new Map<string, { destroy(): void }>();
  function get<T extends { destroy(): void }>(kind: string, region: string, make: () => T): T {
    const key = `${kind}:${region}`;
    let client = cache.get(key);
    if (!client) {
      client = make();
      cache.set(key, client);
    }
    return client as T;
  }
  return {
    sns: (region) =>
      get("sns", region, () => new SNSClient({ region, credentials, endpoint: endpoints[region] })),
    sqs: (region) =>
      get("sqs", region, () => new SQSClient({ region, credentials, endpoint: endpoints[region] })),
    cloudWatch: (region) =>
      get(
        "cloudwatch",
        region,
        () => new CloudWatchClient({ region, credentials, endpoint: endpoints[region] }),
      ),
    destroy: () => {
      for (const client of cache.values()) client.destroy();
      cache.clear();
    },
  };
}
