// The little of oidc-provider 8 (which ships no types) that test/support/oauth-server.ts uses.
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http'

  export interface IssuedToken {
    jti: string
    clientId: string
    scope?: string
    /** The resource (RFC 8707) the token was issued for. */
    aud?: string
    /** Lifetime in seconds. */
    expiresIn: number
  }

  /** The OAuth errors oidc-provider answers with (RFC 6749 §5.2, RFC 8707 §2). */
  export const errors: { InvalidTarget: new (description?: string) => Error }

  export default class Provider {
    constructor(issuer: string, configuration: Record<string, unknown>)
    callback(): (req: IncomingMessage, res: ServerResponse) => void
    on(event: 'client_credentials.saved', listener: (token: IssuedToken) => void): this
    on(event: string, listener: (...args: unknown[]) => void): this
  }
}
