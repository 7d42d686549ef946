/**
 * The API path of the senders: one message POSTed to a stack's `POST /messages`, SigV4-signed
 * for API Gateway (service `execute-api`), and what its answer means.
 */
import { Sha256 } from "@aws-crypto/sha256-js";
import { SignatureV4 } from "@smithy/signature-v4";
import type { Credentials } from "./aws";
import type { HttpClient } from "./http";
import type { EntryResult, Message, Target } from "./senders";

/** An HTTP error status from the API; 429 and 5xx are worth retrying, other 4xx are not. */
export class ApiError extends Error {
  override readonly name = "ApiError";
  constructor(
    readonly status: number,
    detail: string,
  ) {
    super(`HTTP ${status}${detail ? `: ${detail}` : ""}`);
  }
}

function errorDetail(body: string): string {
  try {
    const parsed = JSON.parse(body) as { message?: unknown; Message?: unknown };
    const message = parsed.message ?? parsed.Message;
    if (typeof message === "string") return message;
  } catch {
    // not JSON: fall through to the raw text
  }
  return body.replace(/\s+/g, " ").trim().slice(0, 200);
}

/**
 * Signs a request for API Gateway (service `execute-api`) with SigV4 and answers the headers to
 * send: the given ones plus host, x-amz-date, x-amz-content-sha256, authorization and, with
 * temporary credentials, x-amz-security-token.
 */
export async function signApiRequest(options: {
  readonly method: string;
  readonly url: string;
  readonly region: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly credentials: Credentials;
  readonly signingDate?: Date;
}): Promise<Record<string, string>> {
  const url = new URL(options.url);
  const signer = new SignatureV4({
    service: "execute-api",
    region: options.region,
    credentials: options.credentials,
    sha256: Sha256,
  });
  const query: Record<string, string | string[]> = {};
  for (const key of new Set(url.searchParams.keys())) {
    const values = url.searchParams.getAll(key);
    query[key] = values.length === 1 ? values[0] : values;
  }
  const signed = await signer.sign(
    {
      method: options.method,
      protocol: url.protocol,
      hostname: url.hostname,
      port: url.port ? Number(url.port) : undefined,
      path: url.pathname,
      query,
      headers: { ...options.headers, host: url.host },
      body: options.body,
    },
    { signingDate: options.signingDate },
  );
  return signed.headers;
}

/**
 * POSTs one message to the stack's API, signed with SigV4. 2xx is success; 429 and 5xx throw
 * (worth retrying elsewhere); other 4xx are the caller's fault and answered as such.
 */
export async function postMessage(
  httpClient: HttpClient,
  credentials: Credentials,
  target: Target,
  body: string,
  {
    message,
    key,
    signal,
  }: {
    readonly message: Message;
    /** The message's idempotency key, sent as `Idempotency-Key`. */
    readonly key: string;
    readonly signal?: AbortSignal;
  },
): Promise<EntryResult> {
  const headers = await signApiRequest({
    method: "POST",
    url: target.address,
    region: target.region,
    headers: { "content-type": "application/json", "idempotency-key": key },
    body,
    credentials,
  });
  const response = await httpClient({ method: "POST", url: target.address, headers, body, signal });
  if (response.status === 429 || response.status >= 500) {
    throw new ApiError(response.status, errorDetail(response.body));
  }
  if (response.status < 200 || response.status > 299) {
    const reason = new ApiError(response.status, errorDetail(response.body)).message;
    return { seq: message.seq, ok: false, reason, senderFault: true };
  }
  let messageId = "";
  try {
    const parsed = JSON.parse(response.body) as { messageId?: unknown };
    if (typeof parsed.messageId === "string") messageId = parsed.messageId;
  } catch {
    // a 2xx without a JSON body still means accepted; the id stays unknown
  }
  return { seq: message.seq, ok: true, messageId };
}
