// The library surface of scim-conformance: re-exports only (the CLI is src/cli/bin.mjs).

export { auditSpec } from './audit/audit-spec.ts'
export { CHECKS, selectChecks } from './checks/index.ts'
export type { CheckResult, Level, Outcome, SpecFinding } from './checks/types.ts'
export {
  HarnessError,
  OperationNotFoundError,
  SpecLoadError,
  TargetSetupError,
  TransportError,
  UsageError,
} from './errors.ts'
export { type LoadProfileOptions, loadProfile, type VendorProfile } from './profile/vendor-profile.ts'
export { type ReferenceServer, type ReferenceServerOptions, startReferenceServer } from './reference/server.ts'
export type { ConformanceReport } from './report/types.ts'
export { writeReports } from './report/write-reports.ts'
export { buildConfig, type RunConfig } from './run/config.ts'
export { runChecks } from './run/run-checks.ts'
export { ForeignUserError } from './run/test-users.ts'
