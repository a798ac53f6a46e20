import { conformanceSuite } from './support/conformance-suite.ts'

// Capabilities: attributes parameter (§3.9) and the server's own /Schemas declarations.
conformanceSuite(['discovery'])
