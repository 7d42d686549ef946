import fc from "fast-check";
import { isPermanentCode, isPermanentError, isRetryableCode } from "../errors";
import { batchResults, type Message } from "../senders";

const sdkError = (name: string, status = 400) =>
  Object.assign(new Error(`${name} happened`), { name, $metadata: { httpStatusCode: status } });

describe("error classification", () => {
  it.each([
    "AuthorizationErrorException",
    "AccessDenied",
    "NotFoundException",
    "AWS.SimpleQueueService.NonExistentQueue",
    "InvalidParameterException",
    "KMSAccessDeniedException",
    "CredentialsProviderError",
    "ExpiredTokenException",
  ])("calls %s permanent: sending again cannot succeed", (name) => {
    expect(isPermanentError(sdkError(name))).toBe(true);
  });

  it.each([
    "ThrottlingException",
    "KMSThrottlingException",
    "ServiceUnavailable",
    "InternalError",
    "TimeoutError",
  ])("calls %s worth a retry", (name) => {
    expect(isPermanentError(sdkError(name, 503))).toBe(false);
  });

  it("calls network errors and unknown codes worth a retry", () => {
    expect(
      isPermanentError(Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" })),
    ).toBe(false);
    expect(isPermanentError("a string")).toBe(false);
    expect(isPermanentError(undefined)).toBe(false);
  });

  it("never calls a code both permanent and retryable", () => {
    fc.assert(
      fc.property(fc.string(), (code) => !(isPermanentCode(code) && isRetryableCode(code))),
    );
    for (const code of ["KMSThrottling", "Throttling", "AccessDenied", "NotFound"]) {
      expect(isPermanentCode(code) && isRetryableCode(code)).toBe(false);
    }
  });
});

describe("batch entries are judged by their code", () => {
  const messages: Message[] = [1, 2, 3, 4].map((seq) => ({ seq, recorded_at: 1, producer: "p" }));
  const results = batchResults(messages, {
    Successful: [{ Id: "m1", MessageId: "id-1" }],
    Failed: [
      // SNS flags KMS throttling as the sender's fault; it passes on a retry.
      { Id: "m2", Code: "KMSThrottling", Message: "Rate exceeded", SenderFault: true },
      { Id: "m3", Code: "AuthorizationError", Message: "not allowed", SenderFault: false },
      { Id: "m4", Code: "InternalError", Message: "oops", SenderFault: false },
    ],
  });

  it("retries KMSThrottling although flagged as a sender fault", () => {
    expect(results[1]).toEqual({
      seq: 2,
      ok: false,
      reason: "KMSThrottling: Rate exceeded",
      senderFault: false,
    });
  });

  it("gives up at once on an authorization error although not flagged", () => {
    expect(results[2]).toMatchObject({ seq: 3, ok: false, senderFault: true });
  });

  it("retries a server fault", () => {
    expect(results[3]).toMatchObject({ seq: 4, ok: false, senderFault: false });
    expect(results[0]).toEqual({ seq: 1, ok: true, messageId: "id-1" });
  });
});
