import type { ServerHooks } from '../../../src/reference/hooks.ts'
import type { Fault } from './fault.ts'
import { HISTORY_FAULTS, RACE_FAULTS } from './history-faults.ts'
import { INPUT_FAULTS } from './input-faults.ts'
import { REQUEST_FAULTS } from './request-faults.ts'
import { RESPONSE_FAULTS } from './response-faults.ts'
import { STORAGE_FAULTS } from './storage-faults.ts'

export type { Fault } from './fault.ts'

/**
 * Deliberate faults the reference server can be switched into, through its hooks (src/reference/hooks.ts). Each
 * is one realistic bug of a SCIM PUT implementation; the project's tests switch them on to prove that the
 * intended check catches the bug (and no unrelated check fails). The shipped server knows none of them.
 *
 * To add one: write `'name': fault(description, () => hooks)` into the file of its stage (request-, input-,
 * storage- or response-faults.ts, or a new file spread in here), and give it an entry in
 * test/proof/fault-catalogue.ts (or put it in PENDING_FAULTS until the harness grades it). Hooks with state
 * (counters, remembered users) keep it in the factory's closure: each server gets fresh hooks. Stateful and racy
 * faults use the async hooks with the store (`exchange.server.store`): e.g. `write` awaiting between the
 * server's checks and its save, or `target` answering for a deleted user (see src/reference/hooks.test.ts).
 */
export const FAULT_DEFINITIONS = {
  ...REQUEST_FAULTS,
  ...INPUT_FAULTS,
  ...STORAGE_FAULTS,
  ...RESPONSE_FAULTS,
  ...HISTORY_FAULTS,
  ...RACE_FAULTS,
} as const satisfies Record<string, Fault>

/** A fault of the fault matrix. */
export type FaultName = keyof typeof FAULT_DEFINITIONS

/** Each fault's description, by name. */
export const FAULTS = Object.fromEntries(
  Object.entries(FAULT_DEFINITIONS).map(([name, f]) => [name, f.description]),
) as Record<FaultName, string>

/**
 * Faults the server can be switched into whose grading by the harness is still being made to follow
 * SCIM-PUT-RULES, so the fault matrix (test/proof/fault-catalogue.ts) leaves them out for now: they are not in
 * FAULT_NAMES. Move one into FAULT_DEFINITIONS, with its catalogue entry, once the harness grades it as the rules say.
 */
export const PENDING_FAULTS = {} as const satisfies Record<string, Fault>

/** Any fault the server can be switched into: the matrix's and PENDING_FAULTS. */
export type ServerFaultName = FaultName | keyof typeof PENDING_FAULTS

/** The faults of the fault matrix (PENDING_FAULTS are left out). */
export const FAULT_NAMES = Object.keys(FAULT_DEFINITIONS) as FaultName[]

/** Every fault the server accepts: the matrix's and PENDING_FAULTS. */
export const ALL_FAULT_NAMES: readonly ServerFaultName[] = [
  ...FAULT_NAMES,
  ...(Object.keys(PENDING_FAULTS) as ServerFaultName[]),
]

const ALL: Readonly<Record<string, Fault>> = { ...FAULT_DEFINITIONS, ...PENDING_FAULTS }

/**
 * The hooks that switch the named faults on, fresh for one server (pass them as `hooks` to startReferenceServer).
 * @throws TypeError for a name that is no fault
 */
export function faultHooks(names: Iterable<ServerFaultName>): ServerHooks[] {
  const hooks: ServerHooks[] = []
  for (const name of new Set(names)) {
    const found = Object.hasOwn(ALL, name) ? ALL[name] : undefined
    if (!found)
      throw new TypeError(
        `unknown reference-server fault "${String(name)}". Choose from: ${ALL_FAULT_NAMES.join(', ')}.`,
      )
    hooks.push({ name, ...found.hooks() })
  }
  return hooks
}
