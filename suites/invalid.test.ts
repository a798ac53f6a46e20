import { conformanceSuite } from './support/conformance-suite.ts'

// Invalid payloads: each refused with an acceptable 4xx (RFC 7644 §3.12, SCIM-PUT-RULES 9, 13, 14, 23).
conformanceSuite(['invalid'])
