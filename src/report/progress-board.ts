import type { ProgressStream } from './progress-reporter.ts'

/**
 * One terminal line for several runs at once (the vendors of `run` without `--vendor`): each run's progress reporter
 * sets its part, and the line is redrawn with every part, `lightdash 40/100 … | cube 52/100 …`.
 */
export class ProgressBoard {
  private readonly parts = new Map<string, string>()

  constructor(private readonly stream: ProgressStream) {}

  set(label: string, part: string): void {
    this.parts.set(label, part)
    this.draw()
  }

  /** A run that ended leaves the line; the last one clears it. */
  remove(label: string): void {
    this.parts.delete(label)
    if (this.parts.size === 0) this.stream.write('\r\x1b[2K')
    else this.draw()
  }

  /** The line without the terminal's control codes. */
  line(): string {
    return [...this.parts].map(([label, part]) => `${label} ${part}`).join('  |  ')
  }

  private draw(): void {
    const line = this.line()
    const room = (this.stream.columns ?? 0) - 3
    this.stream.write(`\r\x1b[2K  ${room > 0 && line.length > room ? `${line.slice(0, room - 1)}…` : line}`)
  }
}
