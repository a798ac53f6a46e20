import { conformanceSuite } from './support/conformance-suite.ts'

// Invalid payloads: each refused with an acceptable 4xx (RFC 7644 §3.12 Tables 8 and 9).
conformanceSuite(['invalid'])
