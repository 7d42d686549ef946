/**
 * Settings that would send healthy messages to the dead-letter queues: too short a visibility
 * timeout for the batching window, and too few receives for a Lambda consumer.
 */
import fc from "fast-check";
import { ConfigError } from "../../config/config";
import { MIN_LAMBDA_MAX_RECEIVE_COUNT, VISIBILITY_TIMEOUT_FACTOR } from "../../config/settings";
import { defaultConfig } from "../support/synth";

/** SQS's longest visibility timeout: 12 hours. */
const SQS_MAX_VISIBILITY_SECONDS = 43_200;

describe("visibility timeout", () => {
  it("covers a 300 s batching window on top of six 30 s function timeouts", () => {
    const config = defaultConfig({ FANOUT_BATCHING_WINDOW_SECONDS: "300" });
    expect(config.queues.visibilityTimeoutSeconds).toBe(480);
  });

  it("covers six function timeouts plus the batching window for every valid pair, within SQS's limit", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 900 }),
        fc.integer({ min: 0, max: 300 }),
        (timeout, window) => {
          const { queues } = defaultConfig({
            FANOUT_CONSUMER_TIMEOUT_SECONDS: String(timeout),
            FANOUT_BATCHING_WINDOW_SECONDS: String(window),
          });
          expect(queues.visibilityTimeoutSeconds).toBeGreaterThanOrEqual(
            VISIBILITY_TIMEOUT_FACTOR * timeout + window,
          );
          expect(queues.visibilityTimeoutSeconds).toBeLessThanOrEqual(SQS_MAX_VISIBILITY_SECONDS);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("maxReceiveCount", () => {
  it("refuses fewer than 5 receives in one line naming the setting and the way out", () => {
    let message = "";
    try {
      defaultConfig({ FANOUT_MAX_RECEIVE_COUNT: "2" });
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      message = (error as Error).message;
    }
    expect(message).toMatch(
      /^Invalid setting maxReceiveCount \(env FANOUT_MAX_RECEIVE_COUNT\): 2 is below 5, AWS's minimum for Lambda consumers .*; allowed: 5 to 1000, or set allowLowMaxReceiveCount to true to accept it$/,
    );
    expect(message).not.toContain("\n");
  });

  it("accepts fewer than 5 receives when told so", () => {
    const config = defaultConfig({
      FANOUT_MAX_RECEIVE_COUNT: "2",
      FANOUT_ALLOW_LOW_MAX_RECEIVE_COUNT: "true",
    });
    expect(config.queues.maxReceiveCount).toBe(2);
  });

  it("loads exactly when the count is at least 5 or the acknowledgement is set", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1000 }), fc.boolean(), (count, allow) => {
        const load = () =>
          defaultConfig({
            FANOUT_MAX_RECEIVE_COUNT: String(count),
            FANOUT_ALLOW_LOW_MAX_RECEIVE_COUNT: String(allow),
          });
        if (count >= MIN_LAMBDA_MAX_RECEIVE_COUNT || allow) {
          expect(load().queues.maxReceiveCount).toBe(count);
        } else {
          expect(load).toThrow(ConfigError);
        }
      }),
      { numRuns: 200 },
    );
  });
});
