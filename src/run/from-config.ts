import { createScimClient, type ScimClient } from '../http/client.ts'
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
    timeoutMs: config.timeoutMs,
    deadlineMs: config.deadlineMs,
    ...(options.pooled ? { concurrency: config.concurrency, rate: config.rate } : {}),
  })
}
