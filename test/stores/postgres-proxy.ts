import { connect, createServer, type Socket } from 'node:net';

/**
 * A loopback TCP proxy in front of PostgreSQL that can go silent, to test a database that stops
 * answering without closing anything (a network partition, a frozen host). Unlike a stopped
 * server, nothing fails fast: only timeouts can bound a request.
 */
export interface SilentProxy {
  readonly port: number;
  /**
   * Every connection open now or opened until `heal()` swallows all bytes for good, as a
   * half-open TCP connection across a partition does: the client is never told.
   */
  silence(): void;
  /** The partition heals for new connections; the swallowed ones stay dead, as they would. */
  heal(): void;
  close(): Promise<void>;
}

export async function startSilentProxy(targetPort: number): Promise<SilentProxy> {
  let silent = false;
  const sockets = new Set<Socket>();
  const links: { frozen: boolean }[] = [];
  const server = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => undefined);
    const link = { frozen: silent };
    links.push(link);
    if (link.frozen) {
      client.on('data', () => undefined); // read and drop
      return;
    }
    const upstream = connect(targetPort, '127.0.0.1');
    sockets.add(upstream);
    upstream.on('error', () => undefined);
    upstream.on('close', () => {
      sockets.delete(upstream);
      if (!link.frozen) client.destroy();
    });
    client.on('close', () => upstream.destroy());
    client.on('data', (chunk: Buffer) => {
      if (!link.frozen) upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!link.frozen) client.write(chunk);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address !== 'object') throw new Error('proxy has no port');
  return {
    port: address.port,
    silence() {
      silent = true;
      for (const link of links) link.frozen = true;
    },
    heal() {
      silent = false;
    },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => {
        server.close(() => {
          resolve();
        });
      });
    },
  };
}
