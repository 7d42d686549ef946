import {
  AuthorizationErrorException,
  InternalErrorException,
  InvalidParameterException,
  KMSAccessDeniedException,
  KMSDisabledException,
  KMSThrottlingException,
  NotFoundException,
  SNSServiceException,
  ThrottledException,
} from "@aws-sdk/client-sns";
import { isRetryablePublishError, publishErrorDetails } from "../sns-errors";

const meta = (httpStatusCode: number) => ({ httpStatusCode, requestId: "sns-req-1", attempts: 3 });

describe("isRetryablePublishError", () => {
  it.each([
    [
      "ThrottledException",
      new ThrottledException({ message: "Rate exceeded", $metadata: meta(400) }),
    ],
    [
      "KMSThrottlingException",
      new KMSThrottlingException({ message: "slow", $metadata: meta(400) }),
    ],
    [
      "InternalErrorException",
      new InternalErrorException({ message: "oops", $metadata: meta(500) }),
    ],
    [
      "an unmodelled 503",
      new SNSServiceException({
        name: "ServiceUnavailable",
        $fault: "server",
        message: "unavailable",
        $metadata: meta(503),
      }),
    ],
    [
      "an unmodelled 429",
      new SNSServiceException({
        name: "Weird",
        $fault: "client",
        message: "",
        $metadata: meta(429),
      }),
    ],
    ["a socket reset", Object.assign(new Error("socket hang up"), { code: "ECONNRESET" })],
    ["a DNS failure", Object.assign(new Error("getaddrinfo"), { code: "ENOTFOUND" })],
    ["a timeout", Object.assign(new Error("timed out"), { name: "TimeoutError" })],
    ["an abort", Object.assign(new Error("aborted"), { name: "AbortError" })],
  ])("is true for %s", (_what, error) => {
    expect(isRetryablePublishError(error)).toBe(true);
  });

  it.each([
    [
      "AuthorizationError",
      new AuthorizationErrorException({ message: "no", $metadata: meta(403) }),
    ],
    ["NotFound", new NotFoundException({ message: "no topic", $metadata: meta(404) })],
    ["KMSAccessDenied", new KMSAccessDeniedException({ message: "no", $metadata: meta(400) })],
    ["KMSDisabled", new KMSDisabledException({ message: "off", $metadata: meta(400) })],
    ["InvalidParameter", new InvalidParameterException({ message: "bad", $metadata: meta(400) })],
    ["a plain Error", new Error("boom")],
    ["a string", "boom"],
    ["undefined", undefined],
  ])("is false for %s", (_what, error) => {
    expect(isRetryablePublishError(error)).toBe(false);
  });
});

describe("publishErrorDetails", () => {
  it("keeps the name, HTTP status and SNS request id for the logs", () => {
    const error = new ThrottledException({ message: "Rate exceeded", $metadata: meta(400) });
    expect(publishErrorDetails(error)).toEqual({
      error_name: "ThrottledException",
      http_status: 400,
      sns_request_id: "sns-req-1",
    });
  });
});
