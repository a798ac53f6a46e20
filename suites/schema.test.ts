import { conformanceSuite } from './support/conformance-suite.ts'

// Response bodies against the vendor's declared schemas, and `schemas` in requests and responses (RFC 7643 §3).
conformanceSuite(['schema'])
