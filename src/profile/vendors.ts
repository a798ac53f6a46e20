import { join, sep } from 'node:path'
import { PACKAGE_ROOT } from '../package-info.ts'

/** What no spec says about a vendor; everything else is derived from its OpenAPI document. */
export interface DeclaredTraits {
  /** Human-readable vendor name for reports. */
  displayName: string
  /**
   * Shape of `userName` the service accepts. The three vendors document an email address
   * (Lightdash's service rejects other shapes), so the generator defaults to it.
   * @defaultValue 'email'
   */
  userNameFormat: 'email' | 'any'
}

export interface BuiltInVendor {
  name: string
  specPath: string
  declared: DeclaredTraits
}

const specsDir = `${join(PACKAGE_ROOT, 'specs')}${sep}`

/** The built-in vendors, in the order `--vendor all` runs them. `generic` is the RFC core User on any SCIM base URL. */
export const BUILT_IN_VENDORS: readonly BuiltInVendor[] = [
  {
    name: 'lightdash',
    specPath: `${specsDir}lightdash.yaml`,
    declared: { displayName: 'Lightdash', userNameFormat: 'email' },
  },
  {
    name: 'maia',
    specPath: `${specsDir}maia.yaml`,
    declared: { displayName: 'Matillion Maia', userNameFormat: 'email' },
  },
  { name: 'cube', specPath: `${specsDir}cube.yaml`, declared: { displayName: 'Cube Cloud', userNameFormat: 'email' } },
  {
    name: 'generic',
    specPath: `${specsDir}scim-core.yaml`,
    declared: { displayName: 'Generic SCIM 2.0', userNameFormat: 'email' },
  },
]

/** Names `--vendor all` expands to: the three vendors the project was created for. */
export const ALL_VENDORS = ['lightdash', 'maia', 'cube'] as const

export function builtInVendor(name: string): BuiltInVendor | undefined {
  return BUILT_IN_VENDORS.find((v) => v.name === name)
}
