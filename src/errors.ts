/**
 * Every harness error class. A finding about the server is data (a check result), never one of these:
 * these are problems with the harness's inputs or its ability to reach the target, and the CLI maps
 * them to exit code 2 with their one-line message.
 */
export class HarnessError extends Error {
  readonly code: string = 'SCIM_ERR'
  constructor(message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = new.target.name
  }
}

/** The OpenAPI document could not be read, parsed or dereferenced. */
export class SpecLoadError extends HarnessError {
  override readonly code: string = 'SCIM_ERR_SPEC_LOAD'
}

/** The document has no PUT on a path ending in `/Users/{param}`, or it lacks a part the harness needs. */
export class OperationNotFoundError extends HarnessError {
  override readonly code: string = 'SCIM_ERR_NO_PUT_USER'
}

/** A command-line flag or environment variable has a value the harness cannot use. */
export class UsageError extends HarnessError {
  override readonly code: string = 'SCIM_ERR_USAGE'
}

/** The target could not be reached or did not answer in time; `cause` keeps the undici error. */
export class TransportError extends HarnessError {
  override readonly code: string = 'SCIM_ERR_TRANSPORT'
}

/** The target cannot host the run (e.g. test users cannot be created and no --user-id was given). */
export class TargetSetupError extends HarnessError {
  override readonly code: string = 'SCIM_ERR_TARGET_SETUP'
}

/** The target answered the run's authenticated read with 401 or 403: the token is wrong, missing or lacks rights. */
export class CredentialsRefusedError extends HarnessError {
  override readonly code: string = 'SCIM_ERR_CREDENTIALS_REFUSED'
}

/** `--target` points at the wrong path: its Users endpoint answers 404 where another path answers 200. */
export class TargetPathError extends HarnessError {
  override readonly code: string = 'SCIM_ERR_TARGET_PATH'
}

/** One line, no stack: what the CLI prints for a harness error. */
export function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error)
  return message.replace(/\s*\n\s*/g, ' ').trim()
}

/** A check threw something that is not a verdict: a bug of the harness, never a finding about the server. */
export class CheckCrashedError extends HarnessError {
  override readonly code: string = 'SCIM_ERR_CHECK_CRASHED'
}
