import { conformanceSuite } from './support/conformance-suite.ts'

// Concurrent writers (RFC 7643 §4.1.1, RFC 7644 §3.5.1 and §3.14): requests fired at the same instant.
conformanceSuite(['concurrency'])
