import { conformanceSuite } from './support/conformance-suite.ts'

// What the server declares of itself in /Schemas, held to its own word (RFC 7643 §7).
conformanceSuite(['declared'])
