import { conformanceSuite } from './support/conformance-suite.ts'

// userName uniqueness (RFC 7643 §4.1.1).
conformanceSuite(['uniqueness'])
