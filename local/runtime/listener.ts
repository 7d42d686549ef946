/**
 * A server that goes down and up again on the same port: the API servers and the front doors
 * both take themselves off the network (connection refused) and come back where they were.
 */
import type * as net from "node:net";

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

export interface ListenerOptions {
  /** What the errors call the server, e.g. `API orders`. */
  readonly name: string;
  /** The address to listen on; 127.0.0.1 when not given. */
  readonly host?: string;
  /** The port to listen on; 0 (or none) for a free one. */
  readonly port?: number;
  /** Turns a failure to bind into the error `up()` throws; the error itself when not given. */
  readonly listenError?: (error: Error, port: number) => Error;
}

/**
 * A server that keeps its port, whether it listens, and its open sockets across `down()` and
 * `up()`; a subclass hands its server to `attach()` in its constructor.
 */
export abstract class Listener {
  /** The address listened on. */
  protected readonly host: string;
  /** Every open socket; `down()` destroys them. */
  protected readonly sockets = new Set<net.Socket>();

  private attached: net.Server | undefined;
  private boundPort: number;
  private listening = false;
  private closed = false;

  constructor(private readonly listenerOptions: ListenerOptions) {
    this.host = listenerOptions.host ?? "127.0.0.1";
    this.boundPort = listenerOptions.port ?? 0;
  }

  /** The port served (0 before `start()`). */
  get port(): number {
    return this.boundPort;
  }

  /** Whether it accepts connections. */
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
    const closing = this.attached === undefined ? Promise.resolve() : stopListening(this.attached);
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    await closing;
  }

  /** Listens again, on the same port as before. */
  async up(): Promise<void> {
    if (this.closed) throw new Error(`${this.listenerOptions.name} is closed`);
    if (this.listening) return;
    if (this.attached === undefined) throw new Error(`${this.listenerOptions.name} has no server`);
    try {
      this.boundPort = await listen(this.attached, this.host, this.boundPort);
    } catch (error) {
      throw this.listenerOptions.listenError?.(error as Error, this.boundPort) ?? error;
    }
    this.listening = true;
  }

  /** Goes down for good. */
  async close(): Promise<void> {
    this.closed = true;
    await this.down();
  }

  /** The server that `up()` and `down()` open and close. */
  protected attach(server: net.Server): void {
    this.attached = server;
  }

  /** Keeps `socket` among the open sockets until it closes. */
  protected track(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.on("close", () => this.sockets.delete(socket));
  }
}
