import type { RequestInfo } from '../core/session.js';

/** Every fact about a request but its cookie. */
export type RequestFacts = Omit<RequestInfo, 'cookie'>;

/**
 * A {@link RequestInfo} whose facts other than the cookie (client address, user agent, scheme,
 * host) are computed once, when the core first asks: it asks only when a session is created or a
 * cookie is set, so most requests never pay for them. Adapters supply the cookie and the facts.
 */
export abstract class DeferredRequestInfo implements RequestInfo {
  #known: RequestFacts | undefined;

  abstract get cookie(): string | undefined;

  /** Computes the facts; called at most once. */
  protected abstract facts(): RequestFacts;

  get ip(): string | undefined {
    return this.#all().ip;
  }

  get userAgent(): string | undefined {
    return this.#all().userAgent;
  }

  get secure(): boolean | undefined {
    return this.#all().secure;
  }

  get host(): string | undefined {
    return this.#all().host;
  }

  #all(): RequestFacts {
    this.#known ??= this.facts();
    return this.#known;
  }
}
