import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { FrontDoor } from "../runtime/front-door";

/** A plain HTTP server standing in for the emulator; `/hang` never answers. */
async function fakeEmulator(): Promise<{ url: string; server: http.Server; hits: string[] }> {
  const hits: string[] = [];
  const server = http.createServer((request, response) => {
    hits.push(`${request.method} ${request.url} host=${request.headers.host}`);
    if (request.url === "/hang") {
      response.writeHead(200, { "content-type": "text/plain" });
      response.write("partial");
      return;
    }
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify({ echo: Buffer.concat(chunks).toString("utf8") }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, server, hits };
}

function get(
  url: string,
  options: { method?: string; body?: string; agent?: http.Agent } = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      { method: options.method ?? "GET", agent: options.agent ?? false },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () =>
          resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
        );
        response.on("error", reject);
      },
    );
    request.on("error", reject);
    request.end(options.body);
  });
}

describe("FrontDoor", () => {
  let emulator: Awaited<ReturnType<typeof fakeEmulator>>;
  let door: FrontDoor;

  beforeEach(async () => {
    emulator = await fakeEmulator();
    door = new FrontDoor({ region: "us-east-1", target: emulator.url });
    await door.start();
  });

  afterEach(async () => {
    await door.close();
    emulator.server.closeAllConnections();
    await new Promise((resolve) => emulator.server.close(resolve));
  });

  it("proxies requests and bodies to the emulator, Host header as sent to the door", async () => {
    expect(door.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(door.isUp).toBe(true);
    const answer = await get(`${door.url}/queue?Action=x`, { method: "POST", body: "hello" });
    expect(answer).toEqual({ status: 200, body: JSON.stringify({ echo: "hello" }) });
    expect(emulator.hits).toEqual([`POST /queue?Action=x host=127.0.0.1:${door.port}`]);
  });

  it("carries several requests over one keep-alive connection", async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      for (const n of [1, 2, 3]) {
        expect((await get(`${door.url}/${n}`, { agent })).status).toBe(200);
      }
      expect(emulator.hits).toHaveLength(3);
    } finally {
      agent.destroy();
    }
  });

  it("refuses connections while down, and serves again on the same port when up", async () => {
    const port = door.port;
    await door.down();
    expect(door.isUp).toBe(false);
    await expect(get(`${door.url}/x`)).rejects.toMatchObject({ code: "ECONNREFUSED" });
    expect(emulator.hits).toEqual([]);

    await door.up();
    expect(door.port).toBe(port);
    expect(door.url).toBe(`http://127.0.0.1:${port}`);
    expect((await get(`${door.url}/y`)).status).toBe(200);
    expect(emulator.hits).toEqual([`GET /y host=127.0.0.1:${port}`]);
  });

  it("cuts connections in flight when it goes down", async () => {
    const pending = get(`${door.url}/hang`);
    // Wait until the emulator has the request, so the connection is really open through the door.
    while (emulator.hits.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    // The emulator never answers /hang: only the door cutting the connection ends it.
    await door.down();
    await expect(pending).rejects.toMatchObject({
      code: expect.stringMatching(/ECONNRESET|ABORTED/),
    });
  });

  it("cuts idle keep-alive connections too, so a pooled client cannot slip through", async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      expect((await get(`${door.url}/first`, { agent })).status).toBe(200);
      await door.down();
      await expect(get(`${door.url}/second`, { agent })).rejects.toMatchObject({
        code: expect.stringMatching(/ECONNREFUSED|ECONNRESET/),
      });
      expect(emulator.hits).toHaveLength(1);
    } finally {
      agent.destroy();
    }
  });

  it("answers a reset when the emulator is not there, and says which door cannot listen", async () => {
    const dead = new FrontDoor({ region: "us-west-2", target: "http://127.0.0.1:1" });
    await dead.start();
    try {
      await expect(get(`${dead.url}/x`)).rejects.toMatchObject({
        code: expect.stringMatching(/ECONNRESET|socket hang up/),
      });
      const clash = new FrontDoor({ region: "eu-west-1", target: emulator.url, port: dead.port });
      await expect(clash.start()).rejects.toThrow(
        `front door of eu-west-1 cannot listen on 127.0.0.1, port ${dead.port}`,
      );
    } finally {
      await dead.close();
    }
  });

  it("throws when the emulator URL is not http", () => {
    expect(() => new FrontDoor({ region: "us-east-1", target: "https://example.com" })).toThrow(
      "emulator URL https://example.com is not http://",
    );
    expect(() => new FrontDoor({ region: "us-east-1", target: "nope" })).toThrow(
      'emulator URL "nope" is not a URL',
    );
  });

  it("cannot be brought up again once closed", async () => {
    await door.close();
    await expect(door.up()).rejects.toThrow("front door of us-east-1 is closed");
  });
});
