import { createServer, type Server, type Socket, connect } from "node:net";

export interface TcpProxy {
  port: number;
  /** drops every open connection and refuses new ones (the database's host went away) */
  cut(): void;
  /**
   * the database's host stops answering without closing anything (a dead host, a partitioned
   * network): open connections go silent, new ones are accepted and never forwarded
   */
  blackhole(): void;
  /** accepts and forwards connections again */
  restore(): void;
  close(): Promise<void>;
}

/**
 * A TCP forwarder between the server and PostgreSQL that a test can cut and restore, to see
 * what the server does while its database is unreachable. While cut, new connections are
 * accepted and closed at once, as a load balancer in front of a dead database does.
 */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const open = new Set<Socket>();
  const silent = new Set<Socket>();
  let down = false;
  let holding = false;
  const server: Server = createServer((client) => {
    if (down) {
      client.destroy();
      return;
    }
    if (holding) {
      silent.add(client);
      client.on("error", () => client.destroy());
      return;
    }
    const upstream = connect(target.port, target.host);
    open.add(client);
    open.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on("error", drop).on("close", drop);
    upstream.on("error", drop).on("close", drop);
    // a silent proxy drops what either side writes instead of forwarding it
    client.on("data", (chunk) => {
      if (!holding) upstream.write(chunk);
    });
    upstream.on("data", (chunk) => {
      if (!holding) client.write(chunk);
    });
  });
  await new Promise<void>((ready) => server.listen(0, "127.0.0.1", ready));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    port,
    cut() {
      down = true;
      for (const socket of open) socket.destroy();
      open.clear();
    },
    blackhole() {
      holding = true;
    },
    restore() {
      down = false;
      holding = false;
      // connections accepted while silent were never connected upstream: close them
      for (const socket of silent) socket.destroy();
      silent.clear();
    },
    close() {
      down = true;
      for (const socket of [...open, ...silent]) socket.destroy();
      return new Promise<void>((done) => server.close(() => done()));
    },
  };
}
