import { conformanceSuite } from './support/conformance-suite.ts'

// The attributes parameter on PUT (RFC 7644 §3.9).
conformanceSuite(['attributes'])
