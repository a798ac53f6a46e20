import { conformanceSuite } from '../src/run/suite.ts'

// Authentication (RFC 7644 Table 8).
conformanceSuite(['auth'])
