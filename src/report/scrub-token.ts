import {
  MIN_SECRET_LENGTH,
  scrubSecrets,
  scrubSecretsDeep,
  secretsOf,
  TOKEN_PLACEHOLDER,
  withoutUserinfo,
  type Secret,
} from '../secrets.ts'

// The report layer's view of the one scrubber in src/secrets.ts.
export { MIN_SECRET_LENGTH as MIN_SCRUB_LENGTH, TOKEN_PLACEHOLDER }

/** What the writers are told about the run's secrets: the whole list, or just the token. */
export interface SecretOptions {
  /** The run's secrets, from `secretsOf(config)`. */
  secrets?: readonly Secret[] | undefined
  /** The token alone (shorthand for `secrets: secretsOf({ token })`). */
  token?: string | undefined
}

/** The secrets an options object names (one list object per options object, so patterns compile once). */
export function secretsFrom(options: SecretOptions): readonly Secret[] {
  if (!options.token) return options.secrets ?? []
  const token = secretsOf({ token: options.token })
  return options.secrets ? [...options.secrets, ...token] : token
}

/** Long enough to scrub everywhere (shorter tokens are scrubbed only where they stand alone). */
export function scrubbable(token: string | undefined | null): token is string {
  return typeof token === 'string' && token.length >= MIN_SECRET_LENGTH
}

/** Replaces the token, in any form (raw, JSON/`\u`, HTML, URL-encoded, any case), with `$SCIM_TOKEN`. */
export function scrubToken(text: string, token: string | undefined): string {
  return token ? scrubSecrets(text, secretsOf({ token })) : text
}

/** Deep copy of a JSON-like value with the token replaced in every string (keys included). */
export function scrubTokenDeep<T>(value: T, token: string | undefined): T {
  return token ? scrubSecretsDeep(value, secretsOf({ token })) : value
}

/** The report as written: every string scrubbed, and the target shown without its userinfo. */
export function scrubReport<T extends { target: string }>(report: T, secrets: readonly Secret[]): T {
  const scrubbed = scrubSecretsDeep(report, secrets)
  return { ...scrubbed, target: withoutUserinfo(scrubbed.target) }
}
