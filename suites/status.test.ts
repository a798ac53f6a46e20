import { conformanceSuite } from './support/conformance-suite.ts'

// Status codes: success, unknown id, no 5xx, declared statuses (RFC 7644 §3.5.1, §3.12).
conformanceSuite(['status'])
