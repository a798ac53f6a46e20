import { conformanceSuite } from './support/conformance-suite.ts'

// ETags and If-Match (RFC 7644 §3.14), when the server declares them.
conformanceSuite(['etag'])
