/**
 * SigV4 as API Gateway checks it for an `AWS_IAM` route, for form only: the `Authorization`
 * header or a presigned URL's query string must carry every part, a credential scoped to
 * `execute-api` in the API's region, and a date within 5 minutes of the gateway's clock.
 *
 * Signatures are NOT verified locally: the emulator has no real keys to check them against. A
 * well-formed signature is taken at its word, and the caller's identity is derived from its
 * access key id.
 */
import { createHash } from "node:crypto";
import { gatewayError, MISSING_AUTHENTICATION_TOKEN, type GatewayError } from "./api-response";

/** How far a SigV4 request date may be from the gateway's clock. */
const SIGNATURE_CLOCK_SKEW_MS = 5 * 60 * 1000;

function incompleteSignature(message: string): GatewayError {
  return gatewayError(403, message, "IncompleteSignatureException");
}

function invalidSignature(message: string): GatewayError {
  return gatewayError(403, message, "InvalidSignatureException");
}

/** The signature's caller, as API Gateway reports it. */
export interface SignedCaller {
  readonly accessKey: string;
}

export type SignatureCheck =
  | { readonly ok: true; readonly caller: SignedCaller }
  | { readonly ok: false; readonly error: GatewayError };

/** `20250301T120000Z` -> epoch ms, or NaN. */
function parseAmzDate(value: string): number {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!match) return Number.NaN;
  const [, y, mo, d, h, mi, s] = match.map(Number);
  return Date.UTC(y, mo - 1, d, h, mi, s);
}

function amzDate(epochMs: number): string {
  return new Date(epochMs)
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}/, "");
}

/** Checks a credential scope `<key>/<yyyymmdd>/<region>/<service>/aws4_request`. */
function checkCredential(credential: string, region: string): SignatureCheck {
  const parts = credential.split("/");
  if (parts.length !== 5 || parts[0] === "" || parts[4] !== "aws4_request") {
    return {
      ok: false,
      error: incompleteSignature(
        `Credential should be scoped to a valid region, not '${parts[2] ?? ""}'. ` +
          "Credential should be scoped with a valid terminator: 'aws4_request', not " +
          `'${parts[4] ?? ""}'. `,
      ),
    };
  }
  if (parts[2] !== region) {
    return {
      ok: false,
      error: invalidSignature(`Credential should be scoped to a valid region, not '${parts[2]}'. `),
    };
  }
  if (parts[3] !== "execute-api") {
    return {
      ok: false,
      error: invalidSignature("Credential should be scoped to correct service: 'execute-api'. "),
    };
  }
  return { ok: true, caller: { accessKey: parts[0] } };
}

/** Refuses a request dated more than 5 minutes away from `now`, as AWS does. */
function checkDate(dateValue: string, now: number): GatewayError | undefined {
  const signedAt = /^\d{8}T\d{6}Z$/.test(dateValue)
    ? parseAmzDate(dateValue)
    : Date.parse(dateValue);
  if (!Number.isFinite(signedAt)) {
    return incompleteSignature(`Date must be in ISO-8601 'basic format'. Got '${dateValue}'. `);
  }
  if (signedAt < now - SIGNATURE_CLOCK_SKEW_MS) {
    return invalidSignature(
      `Signature expired: ${amzDate(signedAt)} is now earlier than ` +
        `${amzDate(now - SIGNATURE_CLOCK_SKEW_MS)} (${amzDate(now)} - 5 min.)`,
    );
  }
  if (signedAt > now + SIGNATURE_CLOCK_SKEW_MS) {
    return invalidSignature(
      `Signature not yet current: ${amzDate(signedAt)} is still later than ` +
        `${amzDate(now + SIGNATURE_CLOCK_SKEW_MS)} (${amzDate(now)} + 5 min.)`,
    );
  }
  return undefined;
}

/**
 * Checks that a request carries a well-formed SigV4 signature for `execute-api` in `region`, in
 * the `Authorization` header or in the query string (a presigned URL), and answers the caller's
 * access key, or API Gateway's answer for a missing or malformed one. The signature itself is
 * not verified (see the module comment).
 *
 * @param header - the request's headers, names lower-case
 */
export function checkSignature(
  header: (name: string) => string | undefined,
  query: URLSearchParams,
  region: string,
  now: number,
): SignatureCheck {
  const authorization = header("authorization");
  if (authorization !== undefined && authorization.trim() !== "") {
    const value = authorization.trim();
    const [scheme, ...rest] = value.split(" ");
    const pairs = rest
      .join(" ")
      .split(",")
      .map((pair) => pair.trim())
      .filter((pair) => pair !== "");
    if (scheme !== "AWS4-HMAC-SHA256" || pairs.some((pair) => !pair.includes("="))) {
      const digest = createHash("sha256").update(value).digest("base64");
      return {
        ok: false,
        error: incompleteSignature(
          "Invalid key=value pair (missing equal-sign) in Authorization header (hashed with " +
            `SHA-256 and encoded with Base64): '${digest}'.`,
        ),
      };
    }
    const params = new Map(
      pairs.map((pair) => {
        const at = pair.indexOf("=");
        return [pair.slice(0, at), pair.slice(at + 1)] as const;
      }),
    );
    const dateValue = header("x-amz-date") ?? header("date");
    const problems: string[] = [];
    for (const name of ["Credential", "Signature", "SignedHeaders"]) {
      if (!params.get(name)) problems.push(`Authorization header requires '${name}' parameter. `);
    }
    if (dateValue === undefined) {
      problems.push(
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ",
      );
    }
    if (problems.length > 0) {
      return {
        ok: false,
        error: incompleteSignature(`${problems.join("")}Authorization=${value}`),
      };
    }
    const credential = checkCredential(params.get("Credential") ?? "", region);
    if (!credential.ok) return credential;
    const dateProblem = checkDate(dateValue ?? "", now);
    return dateProblem ? { ok: false, error: dateProblem } : credential;
  }

  if (query.has("X-Amz-Algorithm") || query.has("X-Amz-Signature")) {
    const problems: string[] = [];
    for (const name of [
      "X-Amz-Algorithm",
      "X-Amz-Credential",
      "X-Amz-Signature",
      "X-Amz-SignedHeaders",
      "X-Amz-Date",
    ]) {
      if (!query.get(name)) problems.push(`AWS query-string parameters must include '${name}'. `);
    }
    if (problems.length > 0) {
      return {
        ok: false,
        error: incompleteSignature(`${problems.join("")}Re-examine the query-string parameters.`),
      };
    }
    if (query.get("X-Amz-Algorithm") !== "AWS4-HMAC-SHA256") {
      return {
        ok: false,
        error: incompleteSignature(
          `Unsupported AWS 'algorithm': '${query.get("X-Amz-Algorithm")}'. `,
        ),
      };
    }
    const credential = checkCredential(query.get("X-Amz-Credential") ?? "", region);
    if (!credential.ok) return credential;
    const dateProblem = checkDate(query.get("X-Amz-Date") ?? "", now);
    return dateProblem ? { ok: false, error: dateProblem } : credential;
  }

  return { ok: false, error: MISSING_AUTHENTICATION_TOKEN };
}
