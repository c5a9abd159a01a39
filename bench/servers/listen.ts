import type { Server } from 'node:http';

/** Every bench server listens on PORT (0 = any) and reports the port on stdout for the harness. */
export function announce(server: Server): void {
  server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
    const address = server.address();
    if (address && typeof address === 'object') console.log(`listening ${address.port}`);
  });
  process.on('SIGTERM', () => {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  });
}

/** Fastify owns its server: listen through it and report the port the same way. */
export async function announceFastify(app: {
  listen(options: { port: number; host: string }): Promise<string>;
  close(): Promise<void>;
}): Promise<void> {
  const address = await app.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' });
  console.log(`listening ${new URL(address).port}`);
  process.on('SIGTERM', () => {
    void app.close().then(() => process.exit(0));
  });
}

/** @hono/node-server's serve() with the port report. */
export function announceHono(
  serve: (
    options: {
      fetch: (request: Request) => Response | Promise<Response>;
      port: number;
      hostname: string;
    },
    listening: (info: { port: number }) => void,
  ) => unknown,
  fetch: (request: Request) => Response | Promise<Response>,
): void {
  serve({ fetch, port: Number(process.env.PORT ?? 0), hostname: '127.0.0.1' }, (info) => {
    console.log(`listening ${info.port}`);
  });
  process.on('SIGTERM', () => process.exit(0));
}
