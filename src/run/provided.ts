import type { ServerConstraints } from '../checks/context.ts'
import type { VendorProfile } from '../profile/vendor-profile.ts'
import type { RunConfig } from './config.ts'

/**
 * The one typed channel from whoever starts a run (the CLI, or `suites/vitest.config.ts` for a plain
 * `vitest run`) to the global setup, the suites in the workers and the reporters: vitest's
 * `provide`/`inject`. No process.env in between.
 */
declare module 'vitest' {
  export interface ProvidedContext {
    /** The run's configuration; the global setup fills `target` (and `token`) when it starts the reference server. */
    run: RunConfig
    /** True when the target is the reference server the global setup started. */
    embedded: boolean
    /** The vendor profile, loaded once in the main process (the global setup) and handed to every worker. */
    profile: VendorProfile
    /** The server's input constraints, learned once for the run by the CLI's preflight (absent: each worker learns). */
    constraints?: ServerConstraints
    /**
     * Against a target the CLI's preflight is still running when the worker starts: the key the worker asks
     * it by (src/run/preflight-handoff.ts). Absent with `constraints`, and for the embedded server.
     */
    preflight?: string
  }
}
