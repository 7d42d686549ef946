/**
 * A region's front door: a TCP proxy on a loopback port to the emulator. Every AWS call of one
 * region (Terraform's provider for that region's alias, the operations CLI, the runtime's queue
 * pollers, the functions' SDK through `AWS_ENDPOINT_URL`) goes through that region's door, so
 * closing it cuts the region off from everything at once, the way a regional outage does.
 *
 * The proxy works on bytes, not on HTTP: the emulator sees the request exactly as sent, Host
 * header included, and keep-alive connections work unchanged.
 */
import * as net from "node:net";

export interface FrontDoorOptions {
  /** The region this door serves, e.g. `us-east-1`. */
  readonly region: string;
  /** Base URL of the emulator, e.g. `http://127.0.0.1:5000`. */
  readonly target: string;
  /**
   * Port to listen on.
   * @default - a free port chosen by the system, kept across `down()` and `up()`
   */
  readonly port?: number;
  /**
   * Address to listen on.
   * @default - 127.0.0.1
   */
  readonly host?: string;
}

/** Host and port of an `http:` URL, for a TCP connection. */
function targetOf(url: string): { host: string; port: number } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`emulator URL ${JSON.stringify(url)} is not a URL (expected http://host:port)`);
  }
  if (parsed.protocol !== "http:") {
    throw new Error(`emulator URL ${url} is not http:// (the front door proxies plain HTTP)`);
  }
  const host = parsed.hostname.replace(/^\[(.*)\]$/, "$1");
  return { host, port: parsed.port === "" ? 80 : Number(parsed.port) };
}

/**
 * Listens on `server` at `host:port` (0: a free port) and answers the port bound.
 * @throws Error when the address cannot be bound (e.g. `EADDRINUSE`)
 */
export function listen(server: net.Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => {
      server.off("listening", onListening);
      reject(error);
    };
    const onListening = (): void => {
      server.off("error", onError);
      const address = server.address();
      resolve(typeof address === "object" && address !== null ? address.port : port);
    };
    server.once("error", onError);
    server.once("listening", onListening);
    server.listen({ host, port, exclusive: true });
  });
}

/** Stops `server` listening; resolves at once when it is not listening. */
export function stopListening(server: net.Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close(() => resolve());
  });
}

/** A loopback TCP proxy to the emulator for one region; see the module comment. */
export class FrontDoor {
  /** The region this door serves. */
  public readonly region: string;
  /** The emulator's URL. */
  public readonly target: string;

  private readonly host: string;
  private readonly upstream: { host: string; port: number };
  private readonly server: net.Server;
  /** Every open socket, both sides of every connection. */
  private readonly sockets = new Set<net.Socket>();
  private boundPort: number;
  private listening = false;
  private closed = false;

  constructor(options: FrontDoorOptions) {
    this.region = options.region;
    this.target = options.target;
    this.host = options.host ?? "127.0.0.1";
    this.upstream = targetOf(options.target);
    this.boundPort = options.port ?? 0;
    // Half-open sockets pass a client's FIN on to the emulator and still carry its answer back.
    this.server = net.createServer({ allowHalfOpen: true }, (client) => this.connect(client));
  }

  /** The port the door listens on (0 before `start()`). */
  get port(): number {
    return this.boundPort;
  }

  /** Endpoint for every AWS service of the region, e.g. `http://127.0.0.1:40123`. */
  get url(): string {
    if (this.boundPort === 0) throw new Error(`front door of ${this.region} is not started`);
    return `http://${this.host}:${this.boundPort}`;
  }

  /** Whether the door accepts connections. */
  get isUp(): boolean {
    return this.listening;
  }

  /** Listens, on a free port unless one was given. */
  async start(): Promise<void> {
    await this.up();
  }

  /**
   * Stops listening and destroys every open connection, so callers get connection refused (new
   * connections) or a reset (connections in flight) at once.
   */
  async down(): Promise<void> {
    this.listening = false;
    const closing = stopListening(this.server);
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    await closing;
  }

  /** Listens again, on the same port as before. */
  async up(): Promise<void> {
    if (this.closed) throw new Error(`front door of ${this.region} is closed`);
    if (this.listening) return;
    try {
      this.boundPort = await listen(this.server, this.host, this.boundPort);
    } catch (error) {
      const port = this.boundPort === 0 ? "a free port" : `port ${this.boundPort}`;
      throw new Error(
        `front door of ${this.region} cannot listen on ${this.host}, ${port}: ${(error as Error).message}`,
      );
    }
    this.listening = true;
  }

  /** Closes the door for good. */
  async close(): Promise<void> {
    this.closed = true;
    await this.down();
  }

  private connect(client: net.Socket): void {
    if (!this.listening) {
      client.destroy();
      return;
    }
    const upstream = net.connect({
      host: this.upstream.host,
      port: this.upstream.port,
      allowHalfOpen: true,
    });
    this.sockets.add(client);
    this.sockets.add(upstream);
    const end = (): void => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    // An emulator that is not there looks to the caller like a reset connection, as it would
    // with a load balancer in front of a dead service.
    client.on("error", end);
    upstream.on("error", end);
    client.on("close", end);
    upstream.on("close", end);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    client.pipe(upstream);
    upstream.pipe(client);
  }
}
