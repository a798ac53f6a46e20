import { conformanceSuite } from './support/conformance-suite.ts'

// Stability: the same request gives the same outcome.
conformanceSuite(['stability'])
