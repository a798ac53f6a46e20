import type { Exchange, ServerHooks } from '../../../src/reference/hooks.ts'

/** One deliberate bug of a SCIM PUT implementation, as hooks on the reference server. */
export interface Fault {
  /** What the bug does, in one sentence (shown in the fault matrix report). */
  readonly description: string
  /** Fresh hooks for one server (a fault with state, such as a counter, starts anew on each server). */
  hooks(): ServerHooks
}

/** A fault: its description and the factory of its hooks. */
export function fault(description: string, hooks: () => ServerHooks): Fault {
  return { description, hooks }
}

/** A PUT on /Users/{id}: the request the faults of a PUT implementation act on. */
export function isPut(exchange: Exchange): boolean {
  return exchange.method === 'PUT' && exchange.route === 'user'
}

export type Obj = Record<string, unknown>

export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)
