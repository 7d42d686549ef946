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
import { Listener } from "./listener";

export { listen, stopListening } from "./listener";

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

/** A loopback TCP proxy to the emulator for one region; see the module comment. */
export class FrontDoor extends Listener {
  /** The region this door serves. */
  public readonly region: string;
  /** The emulator's URL. */
  public readonly target: string;

  private readonly upstream: { host: string; port: number };
  private readonly server: net.Server;

  constructor(options: FrontDoorOptions) {
    const host = options.host ?? "127.0.0.1";
    super({
      name: `front door of ${options.region}`,
      host,
      port: options.port,
      listenError: (error, bound) => {
        const port = bound === 0 ? "a free port" : `port ${bound}`;
        return new Error(
          `front door of ${options.region} cannot listen on ${host}, ${port}: ${error.message}`,
        );
      },
    });
    this.region = options.region;
    this.target = options.target;
    this.upstream = targetOf(options.target);
    // Half-open sockets pass a client's FIN on to the emulator and still carry its answer back.
    this.server = net.createServer({ allowHalfOpen: true }, (client) => this.connect(client));
    this.attach(this.server);
  }

  /** Endpoint for every AWS service of the region, e.g. `http://127.0.0.1:40123`. */
  get url(): string {
    if (this.port === 0) throw new Error(`front door of ${this.region} is not started`);
    return `http://${this.host}:${this.port}`;
  }

  private connect(client: net.Socket): void {
    if (!this.isUp) {
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
