import { type AuthProvider, authProvider } from '../http/auth.ts'
import { createScimClient, type ScimClient } from '../http/client.ts'
import { authSettingsOf } from './auth-config.ts'
import { loadProfile, type VendorProfile } from '../profile/vendor-profile.ts'
import type { RunConfig } from './config.ts'

/** The run's vendor profile: its built-in vendor or its spec file, loaded once per process (loadProfile caches it). */
export function profileOf(config: RunConfig, options: { validate?: boolean } = {}): Promise<VendorProfile> {
  return loadProfile({
    vendor: config.spec ? undefined : config.vendor,
    spec: config.spec ?? undefined,
    validate: options.validate ?? false,
    allowRemoteRefs: config.allowRemoteRefs,
  })
}

/**
 * A client for the run's target with the run's credential and bounds. `pooled` adds the run's
 * concurrency and rate limits (what the checks use); set-up and clean-up requests go one at a time.
 */
export function clientOf(config: RunConfig, target: string, options: { pooled?: boolean } = {}): ScimClient {
  return createScimClient({
    baseUrl: target,
    token: config.token,
    auth: authOf(config),
    headers: config.headers,
    timeoutMs: config.timeoutMs,
    deadlineMs: config.deadlineMs,
    ...(options.pooled ? { concurrency: config.concurrency, rate: config.rate } : {}),
  })
}

// One provider per credential in a process: every client of the run shares its OAuth token (one fetch, one refresh).
const providers = new Map<string, AuthProvider | null>()

/** The run's credential as every client of this process sends it (null: none). */
export function authOf(config: RunConfig): AuthProvider | null {
  const settings = authSettingsOf(config)
  if (settings === null) return null
  const key = JSON.stringify(settings)
  let provider = providers.get(key)
  if (provider === undefined) {
    provider = authProvider(settings, { timeoutMs: config.timeoutMs })
    providers.set(key, provider)
  }
  return provider
}
