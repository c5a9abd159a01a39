import type { Session } from 'latchkey';

/**
 * The work every Latchkey bench server does per route, whatever the framework:
 * /rw reads a counter and writes it back plus one, /ro only reads it,
 * /inc?key=k increments one key (lost-update test), /all returns the whole session.
 * Returns the JSON body, or null for an unknown route.
 */
export async function sessionRoute(
  session: Session<Record<string, number>>,
  url: string,
): Promise<string | null> {
  if (url === '/rw') {
    const count = ((await session.get('count')) ?? 0) + 1;
    await session.set('count', count);
    return JSON.stringify({ count });
  }
  if (url === '/ro') return JSON.stringify({ count: (await session.get('count')) ?? 0 });
  if (url.startsWith('/inc?key=')) {
    const key = url.slice('/inc?key='.length);
    const value = ((await session.get(key)) ?? 0) + 1;
    await session.set(key, value);
    return JSON.stringify({ value });
  }
  if (url === '/all') return JSON.stringify(Object.fromEntries(await session.entries()));
  return null;
}
