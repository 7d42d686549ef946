/**
 * The unit's idempotency store, seen from one consumer: Powertools idempotency with its DynamoDB
 * persistence layer, keyed by the SNS `MessageId`, which is the same in every region's copy of a
 * message (with raw delivery, by the `idempotency_key` attribute: see `storeKeyOf`). A message whose work completed in any region of the unit is skipped in the others
 * (the table is a global table; each consumer uses the replica in its own region).
 *
 * Powertools writes an in-progress mark before the work and turns it into a completed one after;
 * when the work throws it deletes the mark, so a failed record is never marked as done and is
 * processed again when SQS redelivers it.
 */
import { IdempotencyConfig, makeIdempotent } from "@aws-lambda-powertools/idempotency";
import { DynamoDBPersistenceLayer } from "@aws-lambda-powertools/idempotency/dynamodb";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { Context } from "aws-lambda";
import type { IdempotencyStoreSettings } from "./env";

/** What became of one message: its work ran now, or it had completed before. */
export type OnceOutcome = "processed" | "duplicate";

/** Runs each message's work at most once across the unit's consumers. */
export interface ProcessOnce {
  /**
   * Registers the invocation's context: an in-progress mark then expires when the invocation
   * would time out, so a crashed consumer does not block the message for the mark's lifetime.
   */
  readonly registerContext: (context: Context) => void;
  /**
   * Runs `work` for the message unless it completed before (in this region or another).
   *
   * @throws what `work` throws (the mark is removed), or a Powertools idempotency error when the
   *   store cannot be read or written or another consumer holds the message in progress
   */
  readonly run: (messageId: string, work: () => void) => Promise<OnceOutcome>;
}

/** What {@link processOnce} needs. */
export interface ProcessOnceOptions extends IdempotencyStoreSettings {
  /**
   * Prefix of every key. It must be the same for every consumer of the unit, or the regions
   * would not see each other's marks: Powertools' default is the function's name, which differs
   * per region. The unit name (`<prefix>-<stack>`) is shared and unique per unit.
   */
  readonly keyPrefix: string;
  /**
   * DynamoDB client.
   * @default - a client of the function's region (`AWS_REGION`; `AWS_ENDPOINT_URL` honoured)
   */
  readonly client?: DynamoDBClient;
}

const DUPLICATE: OnceOutcome = "duplicate";

/** The store of one consumer: its table, expiry and the unit's key prefix. */
export function processOnce(options: ProcessOnceOptions): ProcessOnce {
  const persistenceStore = new DynamoDBPersistenceLayer({
    tableName: options.tableName,
    awsSdkV3Client: options.client ?? new DynamoDBClient({}),
  });
  const config = new IdempotencyConfig({
    expiresAfterSeconds: options.expiresAfterSeconds,
    throwOnNoIdempotencyKey: true,
    // Called only with a completed record found in the store: the message is a duplicate.
    responseHook: () => DUPLICATE,
  });
  const run = makeIdempotent(
    async (_messageId: string, work: () => void): Promise<OnceOutcome> => {
      work();
      return "processed";
    },
    { persistenceStore, config, keyPrefix: options.keyPrefix, dataIndexArgument: 0 },
  );
  return { registerContext: (context) => config.registerLambdaContext(context), run };
}
