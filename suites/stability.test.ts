import { conformanceSuite } from '../src/run/suite.ts'

// Stability: the same request gives the same outcome.
conformanceSuite(['stability'])
