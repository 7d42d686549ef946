import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import type { APIGatewayProxyEvent } from "aws-lambda";
import { signApiRequest } from "../../cli/api-post";
import { packageLambda } from "../../constructs/bundling";
import { API_STAGE_NAME } from "../../constructs/defaults";
import { PRODUCER_API_ENTRY } from "../../constructs/producer-api";
import { ApiServer } from "../runtime/api";
import { matchRoute, requestTime } from "../runtime/api-event";
import { proxyResponse } from "../runtime/api-response";
import { checkSignature } from "../runtime/api-signature";
import { createFunctionHost } from "../runtime/functions";
import type { DeployedApi, FunctionInvoker, InvokeResult } from "../runtime/types";

const FUNCTION = "fanout-primary-api";
const API: DeployedApi = {
  stack: "primary",
  region: "us-east-1",
  apiId: "a1b2c3d4e5",
  name: "fanout-primary-api",
  stageName: API_STAGE_NAME,
  routes: [
    { path: "/messages", method: "POST", authorization: "AWS_IAM", functionName: FUNCTION },
    { path: "/health", method: "GET", authorization: "NONE", functionName: FUNCTION },
  ],
};
const CREDENTIALS = { accessKeyId: "AKIALOCALEXAMPLE0001", secretAccessKey: "local-secret" };
const HANDLER_FIXTURE = path.join(
  __dirname,
  "../../lambdas/producer-api/__tests__/fixtures/post-messages-event.json",
);
const EVENT_FIXTURE = path.join(__dirname, "fixtures/api-post-messages-event.json");

type Answer = (event: APIGatewayProxyEvent) => InvokeResult | Promise<InvokeResult>;

/** An invoker that records events and answers with `answer`. */
function fakeInvoker(answer: Answer): FunctionInvoker & { events: APIGatewayProxyEvent[] } {
  const events: APIGatewayProxyEvent[] = [];
  return {
    events,
    function: { name: FUNCTION } as FunctionInvoker["function"],
    invoke: async (event) => {
      events.push(event as APIGatewayProxyEvent);
      return answer(event as APIGatewayProxyEvent);
    },
    close: async () => undefined,
  };
}

const ok = (result: unknown): InvokeResult => ({ ok: true, result, durationMs: 1 });
const accepted = ok({
  statusCode: 202,
  headers: { "Content-Type": "application/json" },
  body: JSON.stringify({ messageId: "m-1" }),
});

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  json: () => unknown;
}

function send(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      { method: options.method ?? "GET", headers: options.headers, agent: false },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => {
          const body = Buffer.concat(chunks).toString("utf8");
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body,
            json: () => JSON.parse(body),
          });
        });
        response.on("error", reject);
      },
    );
    request.on("error", reject);
    request.end(options.body);
  });
}

async function signedPost(
  url: string,
  body: string,
  extra: Record<string, string> = {},
): Promise<Reply> {
  const headers = await signApiRequest({
    method: "POST",
    url,
    region: API.region,
    headers: { "content-type": "application/json", ...extra },
    body,
    credentials: CREDENTIALS,
  });
  return send(url, { method: "POST", headers, body });
}

/** Keys of an object, recursively for the given nested objects, sorted. */
function shape(event: Record<string, unknown>): Record<string, string[]> {
  const keys = (value: unknown) => Object.keys(value as object).sort();
  const context = event.requestContext as Record<string, unknown>;
  return {
    event: keys(event),
    requestContext: keys(context),
    identity: keys(context.identity),
  };
}

describe("ApiServer", () => {
  const servers: ApiServer[] = [];
  async function serve(
    invoker: FunctionInvoker,
    options: Partial<ConstructorParameters<typeof ApiServer>[0]> = {},
  ): Promise<ApiServer> {
    const server = new ApiServer({
      api: API,
      invokerFor: (name) => {
        if (name !== FUNCTION) throw new Error(`no function ${name}`);
        return invoker;
      },
      ...options,
    });
    servers.push(server);
    await server.start();
    return server;
  }

  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });

  describe("the proxy event", () => {
    it("has the shape of a real API Gateway REST event, key for key", async () => {
      const invoker = fakeInvoker(() => accepted);
      const server = await serve(invoker);
      const reply = await signedPost(`${server.url}/messages`, '{"seq":1}');
      expect(reply.status).toBe(202);
      const real = JSON.parse(fs.readFileSync(HANDLER_FIXTURE, "utf8"));
      const local = invoker.events[0] as unknown as Record<string, unknown>;
      expect(shape(local)).toEqual(shape(real));
    });

    it("matches the recorded event of a signed POST /messages, volatile values aside", async () => {
      const now = Date.UTC(2025, 2, 1, 12, 0, 0);
      const invoker = fakeInvoker(() => accepted);
      const server = await serve(invoker, { now: () => now });
      const url = `${server.url}/messages?dry=1&tag=a&tag=b`;
      const body = '{"seq":7,"producer":"test"}';
      const headers = await signApiRequest({
        method: "POST",
        url,
        region: API.region,
        headers: {
          "Content-Type": "application/json; charset=utf-8",
          "Idempotency-Key": "test-7",
          "User-Agent": "fanout-cli/0.1.0",
        },
        body,
        credentials: CREDENTIALS,
        signingDate: new Date(now),
      });
      expect((await send(url, { method: "POST", headers, body })).status).toBe(202);

      const event = invoker.events[0];
      // Volatile: the port, ids and the signature.
      const port = String(server.port);
      expect(event.requestContext.requestId).toMatch(
        /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      );
      expect(event.requestContext.extendedRequestId).toMatch(/^[A-Za-z0-9]{15}=$/);
      expect(event.headers["X-Amzn-Trace-Id"]).toMatch(/^Root=1-67c2f6c0-[0-9a-f]{24}$/);
      expect(event.headers.authorization).toMatch(
        /^AWS4-HMAC-SHA256 Credential=AKIALOCALEXAMPLE0001\/20250301\/us-east-1\/execute-api\/aws4_request, SignedHeaders=[a-z0-9;-]+, Signature=[0-9a-f]{64}$/,
      );
      const normalized = JSON.parse(JSON.stringify(event)) as APIGatewayProxyEvent;
      const volatile: Record<string, string> = {
        host: "127.0.0.1:<port>",
        authorization: "<authorization>",
        "X-Amzn-Trace-Id": "<trace-id>",
        "X-Forwarded-Port": "<port>",
      };
      for (const [name, value] of Object.entries(volatile)) {
        expect(normalized.headers[name]).toBe(
          name === "host" ? `127.0.0.1:${port}` : event.headers[name],
        );
        normalized.headers[name] = value;
        normalized.multiValueHeaders[name] = [value];
      }
      expect(event.headers["X-Forwarded-Port"]).toBe(port);
      normalized.requestContext.requestId = "<request-id>";
      normalized.requestContext.extendedRequestId = "<extended-request-id>";
      expect(normalized).toEqual(JSON.parse(fs.readFileSync(EVENT_FIXTURE, "utf8")));
    });

    it("gives an unauthenticated route a null identity but the source IP and user agent", async () => {
      const invoker = fakeInvoker(() => ok({ statusCode: 200, body: "{}" }));
      const server = await serve(invoker);
      const reply = await send(`${server.url}/health`, { headers: { "User-Agent": "probe/1" } });
      expect(reply.status).toBe(200);
      const event = invoker.events[0];
      expect(event).toMatchObject({
        resource: "/health",
        path: "/health",
        httpMethod: "GET",
        body: null,
        queryStringParameters: null,
        multiValueQueryStringParameters: null,
        pathParameters: null,
        stageVariables: null,
        isBase64Encoded: false,
      });
      expect(event.requestContext.path).toBe(`/${API_STAGE_NAME}/health`);
      expect(event.requestContext.identity).toMatchObject({
        sourceIp: "127.0.0.1",
        userAgent: "probe/1",
        accessKey: null,
        accountId: null,
        caller: null,
        user: null,
        userArn: null,
      });
    });

    it("keeps every value of a repeated header and query parameter, the last one in the single maps", async () => {
      const invoker = fakeInvoker(() => ok({ statusCode: 200, body: "" }));
      const server = await serve(invoker);
      await new Promise<void>((resolve, reject) => {
        const request = http.request(`${server.url}/health/?a=1&a=2&b=x%20y`, { agent: false });
        request.setHeader("X-Multi", ["one", "two"]);
        request.on("response", (response) => response.resume().on("end", resolve));
        request.on("error", reject);
        request.end();
      });
      const event = invoker.events[0];
      expect(event.resource).toBe("/health");
      expect(event.path).toBe("/health/");
      expect(event.multiValueHeaders["X-Multi"]).toEqual(["one", "two"]);
      expect(event.headers["X-Multi"]).toBe("two");
      expect(event.queryStringParameters).toEqual({ a: "2", b: "x y" });
      expect(event.multiValueQueryStringParameters).toEqual({ a: ["1", "2"], b: ["x y"] });
    });
  });

  describe("IAM authorization", () => {
    it("answers 403 Missing Authentication Token to an unsigned POST and never invokes", async () => {
      const invoker = fakeInvoker(() => accepted);
      const server = await serve(invoker);
      const reply = await send(`${server.url}/messages`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{}",
      });
      expect(reply.status).toBe(403);
      expect(reply.json()).toEqual({ message: "Missing Authentication Token" });
      expect(reply.headers["x-amzn-errortype"]).toBe("MissingAuthenticationTokenException");
      expect(reply.headers["content-type"]).toBe("application/json");
      expect(invoker.events).toHaveLength(0);
    });

    it("answers 403 IncompleteSignatureException to a malformed signature and never invokes", async () => {
      const invoker = fakeInvoker(() => accepted);
      const server = await serve(invoker);
      for (const authorization of [
        "Bearer abc",
        "AWS4-HMAC-SHA256 Credential=AKIA/20250301/us-east-1/execute-api/aws4_request",
      ]) {
        const reply = await send(`${server.url}/messages`, {
          method: "POST",
          headers: { authorization },
          body: "{}",
        });
        expect(reply.status).toBe(403);
        expect(reply.headers["x-amzn-errortype"]).toBe("IncompleteSignatureException");
      }
      expect(invoker.events).toHaveLength(0);
    });

    it("passes a request signed by the CLI, with the caller derived from its access key", async () => {
      const invoker = fakeInvoker(() => accepted);
      const server = await serve(invoker, { accountId: "111122223333" });
      const reply = await signedPost(`${server.url}/messages`, '{"seq":1}', {
        "idempotency-key": "p-1",
      });
      expect(reply.status).toBe(202);
      expect(reply.json()).toEqual({ messageId: "m-1" });
      expect(reply.headers["x-amzn-requestid"]).toBe(invoker.events[0].requestContext.requestId);
      const { identity } = invoker.events[0].requestContext;
      expect(identity).toMatchObject({
        accessKey: CREDENTIALS.accessKeyId,
        accountId: "111122223333",
        userArn: `arn:aws:iam::111122223333:user/${CREDENTIALS.accessKeyId}`,
      });
      expect(invoker.events[0].body).toBe('{"seq":1}');
      expect(invoker.events[0].headers["idempotency-key"]).toBe("p-1");
    });

    it("refuses a signature scoped to another region or too old", () => {
      const query = new URLSearchParams();
      const now = Date.UTC(2025, 2, 1, 12, 0, 0);
      const headers = (authorization: string, date: string) => (name: string) =>
        ({ authorization, "x-amz-date": date })[name];
      const auth = (region: string) =>
        `AWS4-HMAC-SHA256 Credential=AKID/20250301/${region}/execute-api/aws4_request, ` +
        "SignedHeaders=host;x-amz-date, Signature=00";
      expect(
        checkSignature(headers(auth("us-east-1"), "20250301T120000Z"), query, "us-east-1", now),
      ).toEqual({ ok: true, caller: { accessKey: "AKID" } });
      expect(
        checkSignature(headers(auth("us-west-2"), "20250301T120000Z"), query, "us-east-1", now),
      ).toMatchObject({
        ok: false,
        error: {
          status: 403,
          message: "Credential should be scoped to a valid region, not 'us-west-2'. ",
        },
      });
      expect(
        checkSignature(headers(auth("us-east-1"), "20250301T115000Z"), query, "us-east-1", now),
      ).toMatchObject({
        ok: false,
        error: {
          status: 403,
          type: "InvalidSignatureException",
          message: expect.stringMatching(/^Signature expired/),
        },
      });
      expect(checkSignature(() => undefined, query, "us-east-1", now)).toMatchObject({
        ok: false,
        error: { message: "Missing Authentication Token" },
      });
    });
  });

  describe("routing", () => {
    it("answers 403 Missing Authentication Token for unknown paths, methods and stages", async () => {
      const invoker = fakeInvoker(() => accepted);
      const server = await serve(invoker);
      const base = `http://127.0.0.1:${server.port}`;
      for (const [method, url] of [
        ["GET", `${server.url}/nope`],
        ["DELETE", `${server.url}/messages`],
        ["POST", `${server.url}/health`],
        ["GET", `${base}/prod/health`],
        ["GET", `${base}/`],
      ]) {
        const reply = await send(url, { method });
        expect({ method, url, status: reply.status, body: reply.json() }).toEqual({
          method,
          url,
          status: 403,
          body: { message: "Missing Authentication Token" },
        });
      }
      expect(invoker.events).toHaveLength(0);
    });

    it("matches path templates and literal resources first", () => {
      const api: DeployedApi = {
        ...API,
        routes: [
          { path: "/items/{id}", method: "GET", authorization: "NONE", functionName: "f" },
          { path: "/items/special", method: "GET", authorization: "NONE", functionName: "g" },
          { path: "/files/{key+}", method: "ANY", authorization: "NONE", functionName: "h" },
        ],
      };
      const stage = `/${API.stageName}`;
      expect(matchRoute(api, "GET", `${stage}/items/42`)).toMatchObject({
        resourcePath: "/items/{id}",
        pathParameters: { id: "42" },
      });
      expect(matchRoute(api, "GET", `${stage}/items/special`)?.route.functionName).toBe("g");
      expect(matchRoute(api, "PUT", `${stage}/files/a/b%20c`)).toMatchObject({
        pathParameters: { key: "a/b c" },
      });
      expect(matchRoute(api, "GET", `${stage}/items`)).toBeUndefined();
      expect(matchRoute(api, "GET", `${stage}/items/1/2`)).toBeUndefined();
    });
  });

  describe("answers", () => {
    it("maps status, headers and multi-value headers of the proxy result", async () => {
      const invoker = fakeInvoker(() =>
        ok({
          statusCode: 201,
          headers: { "X-One": "1", "Content-Type": "text/plain", "Content-Length": "999" },
          multiValueHeaders: { "Set-Cookie": ["a=1", "b=2"], "X-One": ["1", "uno"] },
          body: "created",
        }),
      );
      const server = await serve(invoker);
      const reply = await send(`${server.url}/health`);
      expect(reply.status).toBe(201);
      expect(reply.body).toBe("created");
      expect(reply.headers["content-type"]).toBe("text/plain");
      expect(reply.headers["content-length"]).toBe("7");
      expect(reply.headers["set-cookie"]).toEqual(["a=1", "b=2"]);
      expect(reply.headers["x-one"]).toBe("1, uno");
      expect(reply.headers["x-amz-apigw-id"]).toBe(
        invoker.events[0].requestContext.extendedRequestId,
      );
    });

    it("decodes a base64 body and defaults the content type to JSON", () => {
      const answer = proxyResponse({
        statusCode: 200,
        body: Buffer.from("hi").toString("base64"),
        isBase64Encoded: true,
      });
      expect(answer?.body.toString()).toBe("hi");
      expect(answer?.headers["Content-Type"]).toEqual(["application/json"]);
    });

    it("answers 502 Internal server error when the function fails", async () => {
      const invoker = fakeInvoker(() => ({
        ok: false,
        errorType: "Error",
        errorMessage: "boom",
        durationMs: 3,
      }));
      const server = await serve(invoker);
      const reply = await send(`${server.url}/health`);
      expect(reply.status).toBe(502);
      expect(reply.json()).toEqual({ message: "Internal server error" });
      expect(reply.headers["x-amzn-errortype"]).toBe("InternalServerErrorException");
    });

    it.each([
      ["a string", "ok"],
      ["no status", { body: "x" }],
      ["a status out of range", { statusCode: 42, body: "" }],
      ["an object body", { statusCode: 200, body: { a: 1 } }],
      ["an unknown key", { statusCode: 200, body: "", cookies: ["a=1"] }],
      ["an object header value", { statusCode: 200, headers: { a: { b: 1 } } }],
    ])("answers 502 for a malformed proxy result: %s", async (_what, result) => {
      const server = await serve(fakeInvoker(() => ok(result)));
      const reply = await send(`${server.url}/health`);
      expect(reply.status).toBe(502);
      expect(reply.json()).toEqual({ message: "Internal server error" });
    });

    it("answers 500 when the function cannot be invoked at all, 504 when it is too slow", async () => {
      const broken: FunctionInvoker = {
        ...fakeInvoker(() => accepted),
        invoke: () => Promise.reject(new Error("package missing")),
      };
      const server = await serve(broken);
      expect((await send(`${server.url}/health`)).status).toBe(500);

      const slow = await serve(
        fakeInvoker(() => new Promise((resolve) => setTimeout(() => resolve(accepted), 500))),
        { integrationTimeoutMs: 50 },
      );
      const reply = await send(`${slow.url}/health`);
      expect(reply.status).toBe(504);
      expect(reply.json()).toEqual({ message: "Endpoint request timed out" });
    });

    it("answers 413 to a body over the limit, declared or streamed, and never invokes", async () => {
      const invoker = fakeInvoker(() => accepted);
      const server = await serve(invoker, { maxBodyBytes: 1024 });
      const declared = await signedPost(`${server.url}/messages`, "x".repeat(2048));
      expect(declared.status).toBe(413);
      expect(declared.json()).toEqual({ message: "Request Too Long" });

      const headers = await signApiRequest({
        method: "POST",
        url: `${server.url}/messages`,
        region: API.region,
        headers: {},
        credentials: CREDENTIALS,
      });
      const streamed = await new Promise<number>((resolve, reject) => {
        const request = http.request(`${server.url}/messages`, {
          method: "POST",
          headers: { ...headers, "transfer-encoding": "chunked" },
          agent: false,
        });
        request.on("response", (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        });
        request.on("error", reject);
        request.write("y".repeat(800));
        request.end("y".repeat(800));
      });
      expect(streamed).toBe(413);
      expect(invoker.events).toHaveLength(0);
    });
  });

  it("refuses connections while down and serves on the same port when up", async () => {
    const server = await serve(fakeInvoker(() => ok({ statusCode: 200, body: "up" })));
    const url = `${server.url}/health`;
    await server.down();
    expect(server.isUp).toBe(false);
    await expect(send(url)).rejects.toMatchObject({ code: "ECONNREFUSED" });
    await server.up();
    expect(server.url).toBe(url.replace(/\/health$/, ""));
    expect((await send(url)).body).toBe("up");
  });

  it("formats requestTime as API Gateway does", () => {
    expect(requestTime(Date.UTC(2025, 2, 1, 12, 0, 5))).toBe("01/Mar/2025:12:00:05 +0000");
  });

  describe("with the real producer-api handler, packaged and run by the function host", () => {
    let scratch: string;
    let sns: http.Server;
    const published: string[] = [];
    let invoker: FunctionInvoker;

    beforeAll(async () => {
      // A fake SNS (query protocol) for the handler's publish, standing in for the front door.
      sns = http.createServer((request, response) => {
        const chunks: Buffer[] = [];
        request.on("data", (chunk: Buffer) => chunks.push(chunk));
        request.on("end", () => {
          published.push(Buffer.concat(chunks).toString("utf8"));
          response.writeHead(200, { "content-type": "text/xml" });
          response.end(
            '<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult>' +
              "<MessageId>sns-message-1</MessageId></PublishResult><ResponseMetadata>" +
              "<RequestId>r-1</RequestId></ResponseMetadata></PublishResponse>",
          );
        });
      });
      await new Promise<void>((resolve) => sns.listen(0, "127.0.0.1", resolve));
      scratch = fs.mkdtempSync(path.join(os.tmpdir(), "runtime-api-"));
      const pkg = packageLambda({
        entry: PRODUCER_API_ENTRY,
        outfile: path.join(scratch, "producer-api.zip"),
      });
      invoker = createFunctionHost(
        {
          stack: "primary",
          address: "aws_lambda_function.producer_api",
          name: FUNCTION,
          arn: `arn:aws:lambda:us-east-1:123456789012:function:${FUNCTION}`,
          region: "us-east-1",
          packagePath: pkg.outfile,
          sourceCodeHash: pkg.sha256,
          handler: "index.handler",
          runtime: "nodejs22.x",
          timeoutSeconds: 10,
          memoryMb: 256,
          environment: {
            FANOUT_TOPIC_ARN: "arn:aws:sns:us-east-1:123456789012:fanout-primary-topic",
            FANOUT_STACK: "primary",
            POWERTOOLS_SERVICE_NAME: FUNCTION,
          },
          logGroupName: `/aws/lambda/${FUNCTION}`,
        },
        {
          stateDir: path.join(scratch, "state"),
          endpointUrl: `http://127.0.0.1:${(sns.address() as AddressInfo).port}`,
          maxEnvironments: 1,
        },
      );
    }, 60_000);

    afterAll(async () => {
      await invoker?.close();
      await new Promise((resolve) => sns.close(resolve));
      fs.rmSync(scratch, { recursive: true, force: true });
    });

    it("answers GET /health with the service, stack, region and topic name", async () => {
      const server = await serve(invoker);
      const reply = await send(`${server.url}/health`);
      expect(reply.status).toBe(200);
      expect(reply.json()).toEqual({
        service: FUNCTION,
        stack: "primary",
        region: "us-east-1",
        topic: "fanout-primary-topic",
      });
      expect(reply.headers["cache-control"]).toBe("no-store");
    });

    it("publishes a signed POST /messages and answers 202 with the SNS message id", async () => {
      const server = await serve(invoker);
      const reply = await signedPost(`${server.url}/messages`, '{"seq":1,"producer":"t"}', {
        "idempotency-key": "t-1",
      });
      expect(reply.status).toBe(202);
      expect(reply.json()).toMatchObject({ messageId: "sns-message-1", region: "us-east-1" });
      const publish = new URLSearchParams(published[published.length - 1]);
      expect(publish.get("Action")).toBe("Publish");
      expect(JSON.parse(publish.get("Message") ?? "")).toMatchObject({ seq: 1, producer: "t" });
    });

    it("lets the handler reject a wrong content type with its own 415", async () => {
      const server = await serve(invoker);
      const reply = await signedPost(`${server.url}/messages`, "hello", {
        "content-type": "text/plain",
      });
      expect(reply.status).toBe(415);
    });
  });
});
