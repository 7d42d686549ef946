import { createHash, createHmac } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { checkHealth } from "../health";
import { nodeHttpClient } from "../http";
import { createSender, type Target } from "../senders";
import { TEST_CREDENTIALS, testClients } from "./helpers";

interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

let server: Server;
let base: string;
const received: Received[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received.push({
        method: req.method!,
        url: req.url!,
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
      });
      if (req.url === "/prod/slow") return; // never answers
      if (req.url === "/prod/health") {
        res.writeHead(200, { "content-type": "application/json" });
        res.end('{"service":"fanout","stack":"primary","region":"us-east-1","topic":"t"}');
        return;
      }
      res.writeHead(202, { "content-type": "application/json" });
      res.end(JSON.stringify({ messageId: "mid-1", recorded_at: 1, region: "us-east-1" }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  received.length = 0;
});

const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex");
const hmac = (key: Buffer | string, text: string): Buffer =>
  createHmac("sha256", key).update(text).digest();

/** Recomputes a SigV4 signature from what the server received, independently of the signer. */
function expectedSignature(request: Received, secret: string): string {
  const auth = String(request.headers.authorization);
  const [, scope, signedHeaders] =
    /^AWS4-HMAC-SHA256 Credential=[^/]+\/([^,]+), SignedHeaders=([^,]+), Signature=[0-9a-f]{64}$/.exec(
      auth,
    )!;
  const [date, region, service] = scope.split("/");
  const names = signedHeaders.split(";");
  const canonicalRequest = [
    request.method,
    request.url,
    "",
    ...names.map((name) => `${name}:${String(request.headers[name]).trim()}`),
    "",
    signedHeaders,
    sha256(request.body),
  ].join("\n");
  const stringToSign = [
    "AWS4-HMAC-SHA256",
    String(request.headers["x-amz-date"]),
    scope,
    sha256(canonicalRequest),
  ].join("\n");
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), "aws4_request");
  return createHmac("sha256", key).update(stringToSign).digest("hex");
}

function apiTarget(): Target {
  return { stack: "primary", region: "us-east-1", address: `${base}/prod/messages` };
}

describe("--via api", () => {
  it("signs POST /messages with SigV4 for execute-api in the stack's region", async () => {
    const sender = createSender(
      "api",
      { aws: testClients(), http: nodeHttpClient, credentials: () => TEST_CREDENTIALS },
      false,
    );
    const message = { recorded_at: 1748779200000, seq: 7, producer: "laptop-1" };
    const [result] = await sender.send(apiTarget(), [message]);

    expect(result).toEqual({ seq: 7, ok: true, messageId: "mid-1" });
    expect(received).toHaveLength(1);
    const request = received[0];
    expect(request.method).toBe("POST");
    expect(request.url).toBe("/prod/messages");
    // The API stamps recorded_at with the AWS clock; the key lets consumers drop a re-send.
    expect(JSON.parse(request.body)).toEqual({ seq: 7, producer: "laptop-1" });
    expect(request.headers["idempotency-key"]).toBe("laptop-1-7");
    expect(request.headers["content-type"]).toBe("application/json");
    expect(request.headers.host).toBe(new URL(base).host);

    const amzDate = String(request.headers["x-amz-date"]);
    expect(amzDate).toMatch(/^\d{8}T\d{6}Z$/);
    expect(request.headers["x-amz-content-sha256"]).toBe(sha256(request.body));
    const auth = String(request.headers.authorization);
    expect(auth).toMatch(
      new RegExp(
        `^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/${amzDate.slice(0, 8)}/us-east-1/execute-api/aws4_request, `,
      ),
    );
    const signedHeaders = /SignedHeaders=([^,]+)/.exec(auth)![1].split(";");
    expect(signedHeaders).toEqual(
      expect.arrayContaining([
        "content-type",
        "host",
        "idempotency-key",
        "x-amz-content-sha256",
        "x-amz-date",
      ]),
    );
    expect(/Signature=([0-9a-f]{64})$/.exec(auth)![1]).toBe(
      expectedSignature(request, TEST_CREDENTIALS.secretAccessKey),
    );
  });

  it("sends the session token of temporary credentials", async () => {
    const credentials = { ...TEST_CREDENTIALS, sessionToken: "session-token-1" };
    const sender = createSender(
      "api",
      { aws: testClients(), http: nodeHttpClient, credentials: () => credentials },
      false,
    );
    await sender.send(apiTarget(), [{ recorded_at: 1, seq: 1, producer: "p" }]);
    expect(received[0].headers["x-amz-security-token"]).toBe("session-token-1");
    expect(String(received[0].headers.authorization)).toContain("x-amz-security-token");
  });
});

describe("health check", () => {
  it("reports 200 with the body", async () => {
    const answer = await checkHealth(nodeHttpClient, `${base}/prod/health`, 2000);
    expect(answer).toEqual({
      healthy: true,
      status: 200,
      detail: '{"service":"fanout","stack":"primary","region":"us-east-1","topic":"t"}',
    });
    expect(received[0].headers.authorization).toBeUndefined();
  });

  it("gives up after the time limit", async () => {
    const answer = await checkHealth(nodeHttpClient, `${base}/prod/slow`, 100);
    expect(answer).toEqual({ healthy: false, detail: "TimeoutError: no answer within 100 ms" });
  });

  it("reports a refused connection as unhealthy", async () => {
    const answer = await checkHealth(nodeHttpClient, "http://127.0.0.1:1/health", 2000);
    expect(answer.healthy).toBe(false);
    expect(answer.detail).toMatch(/ECONNREFUSED/);
  });
});
