// The little of oidc-provider 8 (which ships no types) that test/support/oauth-server.ts uses.
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http'

  export interface IssuedToken {
    jti: string
    clientId: string
    scope?: string
    /** Lifetime in seconds. */
    expiresIn: number
  }

  export default class Provider {
    constructor(issuer: string, configuration: Record<string, unknown>)
    callback(): (req: IncomingMessage, res: ServerResponse) => void
    on(event: 'client_credentials.saved', listener: (token: IssuedToken) => void): this
    on(event: string, listener: (...args: unknown[]) => void): this
  }
}
