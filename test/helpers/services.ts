import { createServer } from 'node:net';

/** Connection strings of the shared services, with the defaults this project's machines use. */
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/**
 * Decides whether a suite needing an external service runs. Returns false when `probe` succeeds
 * (run the suite), or a skip message when it fails. Under CI=true an unreachable service is a
 * failure, never a skip: the suite must not go green by testing nothing.
 */
export async function requireService(
  name: string,
  probe: () => Promise<unknown>,
): Promise<string | false> {
  try {
    await probe();
    return false;
  } catch (error) {
    const message = `${name} is not reachable (${(error as Error).message}); its tests are SKIPPED`;
    if (process.env.CI === 'true')
      throw new Error(message.replace('SKIPPED', 'required under CI=true'));
    console.warn(`\n!!!! ${message} !!!!\n`);
    return message;
  }
}

/** A free TCP port on loopback, for tests that start their own server (a private redis-server). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('no port'));
      });
    });
  });
}
