import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { markPhase, PHASES_ENV, writePhases } from './phase-marks.ts'

describe('phase marks', () => {
  afterEach(() => {
    vi.unstubAllEnvs()
    vi.restoreAllMocks()
  })

  it('writes the marks, in ms since the process started and in order, to the file the variable names', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'phases-')), 'phases.json')
    vi.stubEnv(PHASES_ENV, file)
    const before = performance.now()
    markPhase(null, 'first')
    markPhase('cube', 'second')
    writePhases()
    const { marks } = JSON.parse(readFileSync(file, 'utf8')) as { marks: { vendor: string | null; atMs: number }[] }
    const ours = marks.slice(-2)
    expect(ours.map((m) => m.vendor)).toEqual([null, 'cube'])
    expect(ours[0].atMs).toBeGreaterThanOrEqual(Math.floor(before))
    expect(ours[1].atMs).toBeGreaterThanOrEqual(ours[0].atMs)
    expect(ours[1].atMs).toBeLessThanOrEqual(performance.now())
  })

  it('a file that cannot be written is one line on stderr, never the run failing', () => {
    vi.stubEnv(PHASES_ENV, join(tmpdir(), 'no-such-folder-for-phases', 'phases.json'))
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true)
    markPhase(null, 'x')
    expect(() => writePhases()).not.toThrow()
    expect(err).toHaveBeenCalledOnce()
    expect(String(err.mock.calls[0][0])).toMatch(/^scim-conformance: SCIM_CONFORMANCE_PHASES: .*ENOENT.*\n$/)
  })
})
