import { conformanceSuite } from './support/conformance-suite.ts'

// Replace semantics: values stored, omitted, null and [], strings, idempotence (RFC 7644 §3.5.1).
conformanceSuite(['replace'])
