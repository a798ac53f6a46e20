import { conformanceSuite } from './support/conformance-suite.ts'

// Error bodies (RFC 7644 §3.12, or the error format the vendor declares).
conformanceSuite(['errors'])
