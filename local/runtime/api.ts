/**
 * One stack's REST API (v1) as API Gateway serves it, on a loopback port: each request becomes a
 * Lambda proxy event (`APIGatewayProxyEvent`) for the route's function, and the function's proxy
 * result becomes the HTTP answer.
 *
 * It behaves like API Gateway where a caller can tell: unknown resources and methods answer 403
 * `Missing Authentication Token`; an `AWS_IAM` route refuses a request without a SigV4
 * signature the same way, and a malformed one as `IncompleteSignatureException`, before the
 * function runs; bodies over 10 MB answer 413; a function error or a malformed proxy result
 * answers 502 `Internal server error`; an integration slower than 29 s answers 504.
 *
 * The request's route and proxy event come from `api-event.ts`, the signature check (for form
 * only: signatures are NOT verified locally) from `api-signature.ts`, the answers from
 * `api-response.ts`.
 */
import { randomUUID } from "node:crypto";
import * as http from "node:http";
import { buildProxyEvent, matchRoute, newExtendedRequestId, newTraceId } from "./api-event";
import {
  CONFIGURATION_ERROR,
  ENDPOINT_TIMED_OUT,
  gatewayErrorResponse,
  INTERNAL_SERVER_ERROR,
  MISSING_AUTHENTICATION_TOKEN,
  proxyResponse,
  REQUEST_TOO_LONG,
  type GatewayError,
  type GatewayResponse,
} from "./api-response";
import { checkSignature, type SignedCaller } from "./api-signature";
import { BodyTooLarge, readBody } from "./http-body";
import { Listener } from "./listener";
import type { DeployedApi, FunctionInvoker } from "./types";

/** moto's account: the account every local resource lives in. */
export const DEFAULT_ACCOUNT_ID = "123456789012";
/** API Gateway's payload limit for REST APIs. */
export const MAX_REQUEST_BODY_BYTES = 10 * 1024 * 1024;
/** API Gateway's default (and, for regional REST APIs, usual) integration timeout. */
export const INTEGRATION_TIMEOUT_MS = 29_000;

export interface ApiServerOptions {
  readonly api: DeployedApi;
  /** The invoker of a function by name; throws when there is none. */
  readonly invokerFor: (functionName: string) => FunctionInvoker;
  /**
   * Account the API belongs to, for the request context.
   * @default - moto's account, 123456789012
   */
  readonly accountId?: string;
  /**
   * Port to listen on.
   * @default - a free port, kept across `down()` and `up()`
   */
  readonly port?: number;
  /**
   * Address to listen on.
   * @default - 127.0.0.1
   */
  readonly host?: string;
  /**
   * Largest request body accepted.
   * @default - 10 MB, API Gateway's limit
   */
  readonly maxBodyBytes?: number;
  /**
   * Time after which the gateway answers 504 while the function still runs.
   * @default - 29 s
   */
  readonly integrationTimeoutMs?: number;
  /**
   * Clock, epoch ms.
   * @default - Date.now
   */
  readonly now?: () => number;
  /** One access-log line per request. */
  readonly onLog?: (line: string) => void;
}

/** Serves one REST API's stage on a loopback port; see the module comment. */
export class ApiServer extends Listener {
  /** The API served. */
  public readonly api: DeployedApi;

  private readonly options: ApiServerOptions;
  private readonly server: http.Server;

  constructor(options: ApiServerOptions) {
    super({ name: `API ${options.api.name}`, host: options.host, port: options.port });
    this.options = options;
    this.api = options.api;
    this.server = http.createServer((request, response) => {
      this.handle(request, response).catch((error: unknown) => {
        this.log(`internal error: ${(error as Error).message}`);
        if (!response.headersSent) this.send(response, gatewayErrorResponse(CONFIGURATION_ERROR));
        else response.destroy();
      });
    });
    this.attach(this.server);
    this.server.on("connection", (socket) => this.track(socket));
  }

  /** The stage's base URL, e.g. `http://127.0.0.1:40125/prod`. */
  get url(): string {
    if (this.port === 0) throw new Error(`API ${this.api.name} is not started`);
    return `http://${this.host}:${this.port}/${this.api.stageName}`;
  }

  private log(line: string): void {
    this.options.onLog?.(`[api ${this.api.name}] ${line}`);
  }

  private send(
    response: http.ServerResponse,
    answer: GatewayResponse,
    requestId?: string,
    extendedRequestId?: string,
    traceId?: string,
  ): void {
    for (const [name, values] of Object.entries(answer.headers)) {
      response.setHeader(name, values.length === 1 ? values[0] : [...values]);
    }
    if (requestId !== undefined) response.setHeader("x-amzn-RequestId", requestId);
    if (extendedRequestId !== undefined) response.setHeader("x-amz-apigw-id", extendedRequestId);
    if (traceId !== undefined) response.setHeader("X-Amzn-Trace-Id", traceId);
    response.setHeader("Content-Length", answer.body.length);
    response.statusCode = answer.status;
    response.end(answer.body);
  }

  private async handle(
    request: http.IncomingMessage,
    response: http.ServerResponse,
  ): Promise<void> {
    const started = Date.now();
    const now = (this.options.now ?? Date.now)();
    const requestId = randomUUID();
    const extendedRequestId = newExtendedRequestId();
    const method = request.method ?? "GET";
    const target = request.url ?? "/";
    const queryAt = target.indexOf("?");
    const requestPath = queryAt === -1 ? target : target.slice(0, queryAt);
    const query = queryAt === -1 ? "" : target.slice(queryAt + 1);
    const traceHeader = request.headers["x-amzn-trace-id"];
    const traceId = typeof traceHeader === "string" ? traceHeader : newTraceId(now);

    const answer = (result: GatewayResponse, note = ""): void => {
      // A region taken down while the function ran has cut the connection: the answer is lost.
      if (request.socket.destroyed) note = `${note} (connection closed before the answer)`.trim();
      this.send(response, result, requestId, extendedRequestId, traceId);
      this.log(
        `${requestId} ${request.socket.remoteAddress ?? "-"} ${method} ${requestPath} ` +
          `${result.status} ${Date.now() - started}ms${note ? ` ${note}` : ""}`,
      );
    };
    const refuse = (error: GatewayError, note?: string): void => {
      // The body, if any, is not needed: drain it so the connection stays usable.
      request.resume();
      answer(gatewayErrorResponse(error), note);
    };

    const match = matchRoute(this.api, method, requestPath);
    if (match === undefined) return refuse(MISSING_AUTHENTICATION_TOKEN, "(no such route)");

    const limit = this.options.maxBodyBytes ?? MAX_REQUEST_BODY_BYTES;
    const declared = Number(request.headers["content-length"] ?? 0);
    if (declared > limit) return refuse(REQUEST_TOO_LONG);

    let caller: SignedCaller | undefined;
    if (match.route.authorization === "AWS_IAM") {
      const header = (name: string): string | undefined => {
        const value = request.headers[name];
        return Array.isArray(value) ? value[value.length - 1] : value;
      };
      const check = checkSignature(header, new URLSearchParams(query), this.api.region, now);
      if (!check.ok) return refuse(check.error, "(signature)");
      caller = check.caller;
    }

    let body: Buffer;
    try {
      body = await readBody(request, limit);
    } catch (error) {
      if (error instanceof BodyTooLarge) return refuse(REQUEST_TOO_LONG);
      throw error;
    }

    const event = buildProxyEvent(
      {
        method,
        requestPath,
        query,
        rawHeaders: request.rawHeaders,
        body,
        sourceIp: request.socket.remoteAddress?.replace(/^::ffff:/, "") ?? "127.0.0.1",
        localPort: this.port,
        httpVersion: request.httpVersion,
      },
      {
        api: this.api,
        match,
        accountId: this.options.accountId ?? DEFAULT_ACCOUNT_ID,
        caller,
        requestId,
        extendedRequestId,
        now,
        traceId,
      },
    );

    let invoker: FunctionInvoker;
    try {
      invoker = this.options.invokerFor(match.route.functionName);
    } catch (error) {
      return refuse(CONFIGURATION_ERROR, `(${(error as Error).message})`);
    }

    const timeoutMs = this.options.integrationTimeoutMs ?? INTEGRATION_TIMEOUT_MS;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), timeoutMs);
    });
    let outcome: Awaited<ReturnType<FunctionInvoker["invoke"]>> | "timeout";
    try {
      outcome = await Promise.race([invoker.invoke(event), timedOut]);
    } catch (error) {
      return refuse(CONFIGURATION_ERROR, `(invoke failed: ${(error as Error).message})`);
    } finally {
      clearTimeout(timer);
    }
    if (outcome === "timeout") return refuse(ENDPOINT_TIMED_OUT);
    if (!outcome.ok) {
      return refuse(INTERNAL_SERVER_ERROR, `(${outcome.errorType}: ${outcome.errorMessage})`);
    }
    const mapped = proxyResponse(outcome.result);
    if (mapped === undefined) {
      return refuse(INTERNAL_SERVER_ERROR, "(Malformed Lambda proxy response)");
    }
    answer(mapped);
  }
}
