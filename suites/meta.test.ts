import { conformanceSuite } from './support/conformance-suite.ts'

// meta after PUT (RFC 7643 §3.1).
conformanceSuite(['meta'])
