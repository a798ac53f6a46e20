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
    /**
     * Against a target the CLI's preflight, which learns the server's input constraints once for the run, is still
     * running when the worker starts: the key the worker asks it by (src/run/preflight-handoff.ts). Absent for the
     * embedded server (each worker learns them).
     */
    preflight?: string
  }
}
