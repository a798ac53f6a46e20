import { conformanceSuite } from './support/conformance-suite.ts'

// Model-based sequences of POST / PUT / GET / DELETE, judged step by step (issue 14; RFC 7644 §3.5.1, §3.6).
conformanceSuite(['sequence'])
