/**
 * A small HTTP client over Node's http/https modules: the API sender needs exact control of the
 * headers it signed (Host included), and the health checks need a time limit.
 */
import * as http from "node:http";
import * as https from "node:https";

export interface HttpRequest {
  readonly method: string;
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly signal?: AbortSignal;
}

export interface HttpResponse {
  readonly status: number;
  readonly body: string;
}

export type HttpClient = (request: HttpRequest) => Promise<HttpResponse>;

/** Largest response body kept; the endpoints here answer a few hundred bytes. */
const MAX_BODY_BYTES = 64 * 1024;

export const nodeHttpClient: HttpClient = (request) =>
  new Promise<HttpResponse>((resolve, reject) => {
    const url = new URL(request.url);
    const transport = url.protocol === "https:" ? https : url.protocol === "http:" ? http : null;
    if (!transport) {
      reject(new Error(`unsupported URL ${request.url} (expected http or https)`));
      return;
    }
    const req = transport.request(
      url,
      { method: request.method, headers: request.headers, signal: request.signal },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size <= MAX_BODY_BYTES) chunks.push(chunk);
        });
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }),
        );
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(request.body);
  });
