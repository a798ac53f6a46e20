import { ENV } from '../run/config.ts'
import type { Flags } from './args.ts'

/** The credential flags of run and sweep, with the secrets they name from the environment (never from flags). */
export function authFlags(flags: Flags, env: NodeJS.ProcessEnv = process.env) {
  return {
    oauthTokenUrl: flags['oauth-token-url'],
    clientId: flags['client-id'],
    scope: flags.scope,
    audience: flags.audience,
    resource: flags.resource,
    basic: flags.basic,
    headers: typeof flags.header === 'string' ? flags.header : undefined,
    clientSecret: env[ENV.clientSecret],
    basicUser: env[ENV.basicUser],
    basicPassword: env[ENV.basicPassword],
  }
}
