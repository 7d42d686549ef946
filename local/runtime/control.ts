/**
 * The local runtime's control API: `ControlServer` serves a {@link LocalRuntime}
 * (`local-runtime.ts`) as HTTP JSON, which the launcher, the tests and the CLI call:
 *
 *   POST /load                 {"stackDirs": [...]} -> LoadResult (replaces what was loaded)
 *   POST /unload               stops pollers (in-flight invocations finish), closes APIs, functions
 *   POST /regions/<r>/down     the region's front door and APIs refuse connections
 *   POST /regions/<r>/up       ... and accept them again, on the same ports
 *   GET  /status               RuntimeStatus
 *   GET  /deliveries?since=ms  DeliveryRecord[]: the journal's records at or after `since`
 *   POST /shutdown             unloads, answers, then the process exits
 *
 * Errors are JSON `{"message": ...}` with a 4xx (the caller's mistake) or 5xx status, never a
 * stack trace.
 */
import * as http from "node:http";
import type * as net from "node:net";
import { isAbsolute } from "node:path";
import { BodyTooLarge, readBody } from "./http-body";
import { listen, stopListening } from "./listener";
import { messageOf, RuntimeError, type LocalRuntime } from "./local-runtime";

export interface ControlServerOptions {
  /**
   * Port to listen on.
   * @default - a free port
   */
  readonly port?: number;
  /**
   * @default - 127.0.0.1
   */
  readonly host?: string;
  /** Called once `POST /shutdown` has unloaded and answered. */
  readonly onShutdown?: () => void;
  readonly log?: (line: string) => void;
}

/** Largest control request body: a list of directories. */
const MAX_CONTROL_BODY_BYTES = 1024 * 1024;

async function readJson(request: http.IncomingMessage): Promise<unknown> {
  let body: Buffer;
  try {
    body = await readBody(request, MAX_CONTROL_BODY_BYTES);
  } catch (error) {
    if (error instanceof BodyTooLarge) throw new RuntimeError(413, error.message);
    throw error;
  }
  const text = body.toString("utf8").trim();
  if (text === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new RuntimeError(400, "request body is not JSON");
  }
}

/** The `stackDirs` of a `POST /load` body. */
export function parseLoadRequest(body: unknown): string[] {
  const dirs =
    typeof body === "object" && body !== null
      ? (body as { stackDirs?: unknown }).stackDirs
      : undefined;
  if (!Array.isArray(dirs) || dirs.some((dir) => typeof dir !== "string" || dir === "")) {
    throw new RuntimeError(
      400,
      'POST /load takes {"stackDirs": [absolute stack directories]}, got ' +
        JSON.stringify(body ?? null).slice(0, 200),
    );
  }
  const relative = (dirs as string[]).filter((dir) => !isAbsolute(dir));
  if (relative.length > 0) {
    throw new RuntimeError(400, `stack directories must be absolute: ${relative.join(", ")}`);
  }
  return dirs as string[];
}

/** The `since` of `GET /deliveries`, epoch ms; undefined when absent. */
export function parseSince(value: string | null): number | undefined {
  if (value === null || value === "") return undefined;
  const since = Number(value);
  if (!Number.isFinite(since) || since < 0) {
    throw new RuntimeError(400, `since must be epoch milliseconds, got ${JSON.stringify(value)}`);
  }
  return since;
}

/** The control API over a {@link LocalRuntime}; see the module comment. */
export class ControlServer {
  private readonly runtime: LocalRuntime;
  private readonly options: ControlServerOptions;
  private readonly server: http.Server;
  private readonly sockets = new Set<net.Socket>();
  private boundPort = 0;
  private shuttingDown = false;

  constructor(runtime: LocalRuntime, options: ControlServerOptions = {}) {
    this.runtime = runtime;
    this.options = options;
    this.server = http.createServer((request, response) => {
      void this.handle(request, response);
    });
    this.server.on("connection", (socket) => {
      this.sockets.add(socket);
      socket.on("close", () => this.sockets.delete(socket));
    });
  }

  /** E.g. `http://127.0.0.1:40123`. */
  get url(): string {
    if (this.boundPort === 0) throw new Error("control server is not started");
    return `http://${this.options.host ?? "127.0.0.1"}:${this.boundPort}`;
  }

  async start(): Promise<void> {
    this.boundPort = await listen(
      this.server,
      this.options.host ?? "127.0.0.1",
      this.options.port ?? 0,
    );
  }

  /** Stops listening and drops idle connections. */
  async close(): Promise<void> {
    const closing = stopListening(this.server);
    this.server.closeIdleConnections();
    for (const socket of this.sockets) socket.destroy();
    await closing;
  }

  private send(response: http.ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    response.writeHead(status, {
      "content-type": "application/json",
      "content-length": Buffer.byteLength(text),
    });
    response.end(text);
  }

  private async handle(
    request: http.IncomingMessage,
    response: http.ServerResponse,
  ): Promise<void> {
    const method = request.method ?? "GET";
    const url = new URL(request.url ?? "/", "http://control");
    try {
      const answer = await this.route(method, url, request);
      if (url.pathname === "/shutdown") {
        response.on("close", () => this.options.onShutdown?.());
      }
      this.send(response, 200, answer);
    } catch (error) {
      const status = error instanceof RuntimeError ? error.status : 500;
      if (status >= 500)
        this.options.log?.(`${method} ${url.pathname} failed: ${messageOf(error)}`);
      this.send(response, status, { message: messageOf(error) });
    }
  }

  private async route(method: string, url: URL, request: http.IncomingMessage): Promise<unknown> {
    const path = url.pathname.replace(/\/+$/, "") || "/";
    const allow = (expected: string): void => {
      if (method !== expected) {
        request.resume();
        throw new RuntimeError(405, `${method} ${path} is not allowed: use ${expected}`);
      }
    };
    if (this.shuttingDown && path !== "/status") {
      request.resume();
      throw new RuntimeError(503, "the runtime is shutting down");
    }
    const region = /^\/regions\/([^/]+)\/(down|up)$/.exec(path);
    if (region) {
      allow("POST");
      request.resume();
      const name = decodeURIComponent(region[1]);
      return region[2] === "down" ? this.runtime.regionDown(name) : this.runtime.regionUp(name);
    }
    switch (path) {
      case "/load":
        allow("POST");
        return this.runtime.load(parseLoadRequest(await readJson(request)));
      case "/unload":
        allow("POST");
        request.resume();
        await this.runtime.unload();
        return { loaded: false };
      case "/status":
        allow("GET");
        return this.runtime.status();
      case "/deliveries":
        allow("GET");
        return this.runtime.deliveries(parseSince(url.searchParams.get("since")));
      case "/shutdown":
        allow("POST");
        request.resume();
        this.shuttingDown = true;
        await this.runtime.unload();
        return { state: "stopped" };
      default:
        request.resume();
        throw new RuntimeError(
          404,
          `no such control endpoint: ${method} ${path} (see local/runtime/control.ts)`,
        );
    }
  }
}
