import { createServer, type Server, type Socket, connect } from "node:net";

export interface TcpProxy {
  port: number;
  /** drops every open connection and refuses new ones (the database's host went away) */
  cut(): void;
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
  let down = false;
  const server: Server = createServer((client) => {
    if (down) {
      client.destroy();
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
    client.pipe(upstream);
    upstream.pipe(client);
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
    restore() {
      down = false;
    },
    close() {
      down = true;
      for (const socket of open) socket.destroy();
      return new Promise<void>((done) => server.close(() => done()));
    },
  };
}
