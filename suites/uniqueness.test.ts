import { conformanceSuite } from '../src/run/suite.ts'

// userName uniqueness (RFC 7643 §4.1.1).
conformanceSuite(['uniqueness'])
