import { conformanceSuite } from './support/conformance-suite.ts'

// Error bodies and response schemas (RFC 7644 §3.12, the vendor's declared responses).
conformanceSuite(['errors', 'schema'])
