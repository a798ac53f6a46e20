import { conformanceSuite } from './support/conformance-suite.ts'

// Request and response media types (RFC 7644 §3.1, §8.1).
conformanceSuite(['media'])
