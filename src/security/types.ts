import type { CardProfileName } from '../cards/profiles/index.js';

/** Who is calling, as established by authentication (src/security/jwt-authenticator.ts). */
export interface Caller {
  /** A valid JWT was presented and checked. */
  authenticated: boolean;
  issuer?: string;
  tenant?: string;
  /** The card profile of the caller's issuer entry (TRUSTED_ISSUERS_FILE `profile`), when it has one. */
  profile?: CardProfileName;
}

export interface Authenticator {
  /**
   * Checks the Authorization header for the URL that was called (the JWT `aud`). Resolves with the caller, or
   * rejects with a 401 HttpError that says nothing useful to an attacker (the reason goes to the log).
   */
  authenticate(authorization: string | undefined, audience: string): Promise<Caller>;
}
