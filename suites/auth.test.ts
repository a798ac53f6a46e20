import { conformanceSuite } from './support/conformance-suite.ts'

// Authentication (RFC 7644 Table 8).
conformanceSuite(['auth'])
