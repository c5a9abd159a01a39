import { ConfigurationError } from '../core/errors.js';
import { networkOf } from './network.js';

/**
 * Session binding (SEC-48): a session remembers the User-Agent and client network it was created
 * from; when a request arrives with another, the configured action runs. User-Agent and address
 * are weak signals (both change legitimately: browser updates, mobile networks, VPNs), so the
 * default logs and rotates the token. Rotation means two holders of one copied cookie cannot both
 * keep the session: whoever comes second is logged out, so a thief's use becomes visible to the
 * owner (and vice versa). Choose `"end"` to end the session outright on any change, at the price
 * of logging out users whose network changes.
 */

/** `log`: emit `binding-changed` only; `rotate`: also issue a new token; `end`: destroy the session. */
export type BindingAction = 'log' | 'rotate' | 'end';

/** Options of the binding policy (`createAuth({ binding })`). */
export interface BindingOptions {
  /** When the User-Agent header differs from the one at login. Default `"rotate"`. */
  readonly userAgent?: BindingAction | 'ignore';
  /**
   * When the client network differs (IPv4 /24, IPv6 /48, so address churn inside one provider's
   * block is not a change). Default `"rotate"`.
   */
  readonly network?: BindingAction | 'ignore';
}

/** @internal What a session was last seen from. */
export interface BindingBaseline {
  readonly ua: string | null;
  readonly net: string | null;
}

/** @internal The session data key holding the baseline after a change was accepted. */
export const BINDING_KEY = 'latchkey.binding';

const SEVERITY: Record<BindingAction | 'ignore', number> = { ignore: 0, log: 1, rotate: 2, end: 3 };

/** @internal Baseline of a request. */
export function baselineOf(ip: string | undefined, userAgent: string | undefined): BindingBaseline {
  return {
    ua: userAgent === undefined ? null : userAgent.slice(0, 512),
    net: ip === undefined || ip === '' ? null : networkOf(ip, 24, 48),
  };
}

/**
 * @internal Compares a request with the baseline; only signals known on both sides count (a
 * request without a User-Agent is not "a different browser").
 */
export function compareBinding(
  policy: Required<BindingOptions>,
  baseline: BindingBaseline,
  current: BindingBaseline,
): { changed: ('userAgent' | 'network')[]; action: BindingAction | 'ignore' } {
  const changed: ('userAgent' | 'network')[] = [];
  let action: BindingAction | 'ignore' = 'ignore';
  const check = (what: 'userAgent' | 'network', a: string | null, b: string | null) => {
    const configured = policy[what];
    if (configured === 'ignore' || a === null || b === null || a === b) return;
    changed.push(what);
    if (SEVERITY[configured] > SEVERITY[action]) action = configured;
  };
  check('userAgent', baseline.ua, current.ua);
  check('network', baseline.net, current.net);
  return { changed, action };
}

/** @internal Applies defaults; `false` turns binding off. */
export function resolveBinding(
  options: BindingOptions | false | undefined,
): Required<BindingOptions> | null {
  if (options === false) return null;
  const valid = ['ignore', 'log', 'rotate', 'end'];
  const policy = {
    userAgent: options?.userAgent ?? 'rotate',
    network: options?.network ?? 'rotate',
  };
  for (const [name, value] of Object.entries(policy)) {
    if (!valid.includes(value)) {
      throw new ConfigurationError(
        `createAuth: binding.${name} must be one of ${valid.join(', ')}`,
      );
    }
  }
  return policy;
}
