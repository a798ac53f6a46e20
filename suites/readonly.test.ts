import { conformanceSuite } from './support/conformance-suite.ts'

// readOnly and immutable attributes (RFC 7644 §3.5.1, RFC 7643 §3.1).
conformanceSuite(['readonly'])
