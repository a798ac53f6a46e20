import { createHash } from 'node:crypto'
import { mkdir } from 'node:fs/promises'
import { basename, join, relative, resolve, sep } from 'node:path'
import { findingText } from '../checks/define-check.ts'
import { type Area, type CheckResult, type Level, type Outcome, SINGLE_CASE } from '../checks/types.ts'
import type { Exchange, RecordedRequest, RecordedResponse } from '../http/exchange.ts'
import { writeFileAtomic } from './_internals/atomic-write.ts'
import { countsByLevel } from './_internals/counts.ts'
import { counterexampleError } from './_internals/exchange-error.ts'
import { html, rawHtml, type SafeHtml } from './_internals/html.ts'
import { scriptHeading } from './_internals/script-heading.ts'
import {
  cut,
  formatDuration,
  formatValue,
  LEVELS,
  OUTCOME_LABEL,
  OUTCOMES,
  printable,
  prettyResponseBody,
  prettyText,
  receivedLine,
  statusReason,
} from './_internals/text.ts'
import type { WriteReportOptions } from './json-report.ts'
import { scrubSecrets } from '../secrets.ts'
import { scrubReport, secretsFrom } from './scrub-token.ts'
import type { ConformanceReport } from './types.ts'
import { type BaselineItem, gates } from './baseline.ts'

/** Bodies longer than this are cut in the page (report.json keeps them whole). */
const BODY_LIMIT = 32 * 1024

const AREA_LABEL: Record<Area, string> = {
  status: 'Status codes',
  invalid: 'Invalid payloads',
  schema: 'Schemas',
  replace: 'Replace semantics',
  readonly: 'Read-only attributes',
  meta: 'meta',
  uniqueness: 'Uniqueness',
  errors: 'Error bodies',
  auth: 'Authentication',
  etag: 'ETags and versioning',
  media: 'Media types',
  stability: 'Stability and idempotence',
  attributes: 'The attributes parameter',
  sequence: 'Sequences of requests',
  concurrency: 'Concurrent writers',
  declared: "The server's own /Schemas",
}
const AREA_ORDER = Object.keys(AREA_LABEL) as Area[]

const OUTCOME_TITLE: Record<Outcome, string> = {
  failed: 'Failed',
  warned: 'Warned',
  observed: 'Observed',
  passed: 'Passed',
  inconclusive: 'Inconclusive',
  skipped: 'Skipped',
}

const LEVEL_RANK: Record<Level, number> = { MUST: 0, SHOULD: 1, MAY: 2 }

/** Harness errors listed in the summary's notice; the rest are folded under a `<details>`. */
const NOTICE_SHOWN = 3

const STYLE = `
:root{--fg:#1d2939;--muted:#475467;--line:#d0d5dd;--soft:#f2f4f7;--bg:#fff;--accent:#1849a9;
--failed-fg:#912018;--failed-bg:#fef3f2;--failed-line:#fda29b;
--warned-fg:#93370d;--warned-bg:#fffaeb;--warned-line:#fec84b;
--observed-fg:#1849a9;--observed-bg:#eff8ff;--observed-line:#84caff;
--passed-fg:#05603a;--passed-bg:#ecfdf3;--passed-line:#75e0a7;
--inconclusive-fg:#5925dc;--inconclusive-bg:#f4f3ff;--inconclusive-line:#bdb4fe;
--skipped-fg:#344054;--skipped-bg:#f2f4f7;--skipped-line:#d0d5dd}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--fg);
font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
code,pre,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;font-size:12.5px}
a{color:var(--accent)}
.wrap{max-width:1240px;margin:0 auto;padding:0 24px}
header.top{border-bottom:1px solid var(--line);background:#f9fafb;padding:20px 0 16px}
header.top h1{margin:0 0 2px;font-size:22px;letter-spacing:-.01em}
header.top .sub{color:var(--muted);margin:0 0 12px}
dl.meta{display:grid;grid-template-columns:repeat(auto-fill,minmax(220px,1fr));gap:6px 24px;margin:0}
dl.meta div{min-width:0}
dl.meta dt{color:var(--muted);font-size:11.5px;text-transform:uppercase;letter-spacing:.04em}
dl.meta dd{margin:0;overflow-wrap:anywhere}
main{padding:8px 0 40px}
section{margin-top:28px}
h2{font-size:17px;margin:0 0 10px;padding-bottom:6px;border-bottom:1px solid var(--line)}
h3{font-size:15px;margin:18px 0 8px}
h4{font-size:13px;margin:14px 0 6px;color:var(--muted);text-transform:uppercase;letter-spacing:.04em}
.verdict{border:1px solid;border-left-width:6px;border-radius:6px;padding:10px 14px;margin:16px 0 14px;font-weight:600}
.verdict[data-verdict=failed]{background:var(--failed-bg);color:var(--failed-fg);border-color:var(--failed-line)}
.verdict[data-verdict=warned]{background:var(--warned-bg);color:var(--warned-fg);border-color:var(--warned-line)}
.verdict[data-verdict=passed]{background:var(--passed-bg);color:var(--passed-fg);border-color:var(--passed-line)}
.verdict .why{font-weight:400;color:var(--fg)}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(110px,1fr));gap:10px;list-style:none;padding:0;
margin:0 0 14px}
.card{border:1px solid var(--line);border-top-width:4px;border-radius:6px;padding:8px 12px}
.card .n{display:block;font-size:26px;font-weight:700;line-height:1.2}
.card .l{color:var(--muted);font-size:12.5px}
.card[data-outcome=failed]{border-top-color:#d92d20}.card[data-outcome=warned]{border-top-color:#f79009}
.card[data-outcome=observed]{border-top-color:#2e90fa}.card[data-outcome=passed]{border-top-color:#17b26a}
.card[data-outcome=inconclusive]{border-top-color:#7a5af8}.card[data-outcome=skipped]{border-top-color:#98a2b3}
.card[data-outcome=requests]{border-top-color:#475467}.card[data-outcome=errored]{border-top-color:#c11574}
ol.finding-list{list-style:none;padding:0;margin:0 0 18px;border:1px solid var(--line);border-radius:6px}
li.finding-item{padding:6px 12px;border-bottom:1px solid var(--line);overflow-wrap:anywhere}
li.finding-item:last-child{border-bottom:0}
li.finding-item[data-status=failed]{box-shadow:inset 4px 0 #d92d20}
li.finding-item[data-status=warned]{box-shadow:inset 4px 0 #f79009}
li.finding-item a{font-weight:600}li.finding-item .id{color:var(--muted);margin-left:6px}
li.finding-item .received{display:block;color:var(--muted);font-size:13px;margin-top:1px}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;vertical-align:top;padding:6px 10px;border-bottom:1px solid var(--line)}
th{background:var(--soft);font-size:12px;color:var(--muted);text-transform:uppercase;letter-spacing:.04em;
font-weight:600}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
td.zero{color:#98a2b3}
table.levels{width:auto;min-width:520px}
.badge{display:inline-block;min-width:64px;text-align:center;border:1px solid;border-radius:999px;padding:0 8px;
font-size:11.5px;font-weight:700;letter-spacing:.04em;white-space:nowrap}
.badge[data-status=failed]{color:var(--failed-fg);background:var(--failed-bg);border-color:var(--failed-line)}
.badge[data-status=warned]{color:var(--warned-fg);background:var(--warned-bg);border-color:var(--warned-line)}
.badge[data-status=observed]{color:var(--observed-fg);background:var(--observed-bg);border-color:var(--observed-line)}
.badge[data-status=inconclusive]{color:var(--inconclusive-fg);background:var(--inconclusive-bg);
border-color:var(--inconclusive-line)}
.badge[data-status=passed]{color:var(--passed-fg);background:var(--passed-bg);border-color:var(--passed-line)}
.badge[data-status=skipped]{color:var(--skipped-fg);background:var(--skipped-bg);border-color:var(--skipped-line)}
.level{font-weight:700;font-size:12px}
.level[data-level=MUST]{color:#912018}.level[data-level=SHOULD]{color:#93370d}.level[data-level=MAY]{color:#344054}
.area{margin-top:22px}
.area h3 .counts{font-weight:400;color:var(--muted);font-size:13px;margin-left:6px}
tr.check-row[data-status=failed] td:first-child{box-shadow:inset 4px 0 #d92d20}
tr.check-row[data-status=warned] td:first-child{box-shadow:inset 4px 0 #f79009}
table.checks{table-layout:fixed}
col.c-status{width:96px}col.c-check{width:27%}col.c-level{width:78px}col.c-source{width:150px}col.c-contract{width:92px}
td.title{overflow-wrap:anywhere}
td.title .id{display:block;color:var(--muted);font-size:12px}
td.msg{white-space:pre-wrap;overflow-wrap:anywhere}
.traits-inline{margin:4px 0 0;padding:0;list-style:none;color:var(--muted);font-size:12.5px}
.muted{color:var(--muted)}
.notice{border:1px solid #fdb022;background:#fffaeb;color:#7a2e0e;border-radius:6px;padding:10px 14px;margin:16px 0 0}
.notice ul{margin:6px 0 0;padding-left:20px}
ul.notes{margin:0;padding-left:20px}
.empty{color:var(--muted);font-style:italic}
.filters{display:flex;flex-wrap:wrap;gap:14px;align-items:center;margin:6px 0 4px;color:var(--muted);font-size:13px}
.filters label{cursor:pointer}
body:has(#show-failed:not(:checked)) tr.check-row[data-status=failed],
body:has(#show-warned:not(:checked)) tr.check-row[data-status=warned],
body:has(#show-observed:not(:checked)) tr.check-row[data-status=observed],
body:has(#show-passed:not(:checked)) tr.check-row[data-status=passed],
body:has(#show-inconclusive:not(:checked)) tr.check-row[data-status=inconclusive],
body:has(#show-skipped:not(:checked)) tr.check-row[data-status=skipped]{display:none}
article.detail{border:1px solid var(--line);border-left-width:6px;border-radius:6px;padding:4px 16px 14px;margin:16px 0}
article.detail[data-status=failed]{border-left-color:#d92d20}
article.detail[data-status=warned]{border-left-color:#f79009}
article.detail h3{display:flex;gap:10px;align-items:baseline;flex-wrap:wrap}
article.detail .facts{color:var(--muted);font-size:12.5px;margin:0 0 8px}
article.detail .facts code{color:var(--fg)}
pre{margin:0;padding:10px 12px;background:#f8f9fb;border:1px solid var(--line);border-radius:6px;overflow:auto;
max-height:480px;white-space:pre-wrap;overflow-wrap:anywhere}
pre.message{background:#fff;font-family:inherit;font-size:13.5px;max-height:none}
dl.finding{display:grid;grid-template-columns:max-content 1fr;gap:4px 12px;margin:8px 0}dl.finding dt{font-weight:600}
dl.finding dd{margin:0;white-space:pre-wrap}
.http-line{font-weight:600;margin:4px 0}
.pair{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:14px}
.exchange{border-top:1px dashed var(--line);padding-top:8px;margin-top:8px}
details.exchanges>summary,details.headers>summary{cursor:pointer;color:var(--accent);margin:8px 0}
table.diff td{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px;overflow-wrap:anywhere}
table.diff td.note{font-family:inherit;font-size:13px}
.reproduce{position:relative}
.reproduce button{position:absolute;top:6px;right:6px;font:inherit;font-size:12px;padding:2px 10px;
border:1px solid var(--line);border-radius:4px;background:#fff;color:var(--fg);cursor:pointer}
.reproduce button:focus-visible{outline:2px solid var(--accent);outline-offset:1px}
.reproduce pre{padding-right:84px}
footer{border-top:1px solid var(--line);color:var(--muted);font-size:12px;padding:12px 0 24px}
@media (max-width:800px){.cards{grid-template-columns:repeat(3,minmax(0,1fr))}.pair{grid-template-columns:1fr}}
@media print{
body{font-size:11px}
header.top{background:none;padding-top:0}
.wrap{max-width:none;padding:0}
.filters,.reproduce button,nav.jump{display:none!important}
tr.check-row{display:table-row!important}
pre{max-height:none;overflow:visible;background:none}
tr,article.detail,.card{break-inside:avoid}
h2,h3{break-after:avoid}
a{color:inherit;text-decoration:none}
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}
}
`

// Reveals the copy buttons (hidden without JS), copies the curl line, and opens every <details> before printing.
const SCRIPT = `(function(){
document.querySelectorAll('button[data-copy-for]').forEach(function(b){
b.hidden=false;
b.addEventListener('click',function(){
var pre=document.getElementById(b.getAttribute('data-copy-for'));if(!pre)return;
var text=pre.textContent||'';
var done=function(){b.textContent='Copied';setTimeout(function(){b.textContent='Copy'},1500)};
var select=function(){var r=document.createRange();r.selectNodeContents(pre);var s=getSelection();
if(s){s.removeAllRanges();s.addRange(r)}
try{if(document.execCommand('copy')){done();return}}catch(e){}b.textContent='Press Ctrl+C'};
if(navigator.clipboard&&navigator.clipboard.writeText){navigator.clipboard.writeText(text).then(done,select)}
else{select()}
})});
addEventListener('beforeprint',function(){document.querySelectorAll('details').forEach(function(d){d.open=true})});
})();`

const SCRIPT_HASH = `sha256-${createHash('sha256').update(SCRIPT).digest('base64')}`

/**
 * The page's Content-Security-Policy: no request of any kind. The script hash makes browsers that
 * know hashes ignore 'unsafe-inline' for scripts, so even markup that slipped past escaping could
 * run no handler; 'unsafe-inline' stays for the rest.
 */
export const REPORT_CSP =
  `default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline' '${SCRIPT_HASH}'; ` +
  "base-uri 'none'; form-action 'none'"

/** Text from the server or the check, made printable and cut for the page. */
function shown(text: string, limit = BODY_LIMIT): string {
  return printable(cut(text, limit))
}

function badge(status: Outcome): SafeHtml {
  return html`<span class="badge" data-status="${status}">${OUTCOME_LABEL[status]}</span>`
}

function levelTag(level: Level): SafeHtml {
  return html`<span class="level" data-level="${level}">${level}</span>`
}

function anchor(prefix: string, id: string): string {
  return `${prefix}-${id.replace(/[^A-Za-z0-9._-]/g, '_')}`
}

/** A table head of `scope="col"` cells. */
function thead(columns: string[]): SafeHtml {
  return html`<thead><tr>${columns.map((c) => html`<th scope="col">${c}</th>`)}</tr></thead>`
}

/** The muted count after a section title. */
function countTag(n: number): SafeHtml {
  return html`<span class="muted" style="font-weight:400;font-size:13px">(${n})</span>`
}

/** With --har: the HAR file as the page names it, and a link to it relative to the page (null: shown, not linked). */
interface HarShown {
  file: string
  href: string | null
}

/** Most entry indices a result lists in the page (report.json lists them all). */
const HAR_INDICES_SHOWN = 40

/**
 * With --har: where a result's exchanges are in the HAR file. Its check's entries (`_checkId`) counted, and
 * those of its case (`_case`: the case the result names) by their index in `log.entries`.
 */
function harNote(r: CheckResult, har: HarShown | null): SafeHtml {
  if (!har || !r.har) return html``
  const name = basename(har.file)
  const file = har.href ? html`<a href="${har.href}" data-har-file>${name}</a>` : html`<code>${har.file}</code>`
  const n = r.har.entries
  const ofCheck = html`${n} entr${n === 1 ? 'y' : 'ies'} of this check in ${file} (<code>_checkId</code>)`
  const indices = r.har.caseEntries
  const more = indices.length > HAR_INDICES_SHOWN ? ` and ${indices.length - HAR_INDICES_SHOWN} more` : ''
  const list = `${indices
    .slice(0, HAR_INDICES_SHOWN)
    .map((i) => `#${i}`)
    .join(', ')}${more}`
  const which = r.case === SINGLE_CASE ? 'its one case' : html`its case <code>${r.case ?? ''}</code>`
  const at = html`entries ${list} of <code>log.entries</code> (<code>_case</code>)`
  const ofCase = r.case && indices.length > 0 ? html`; ${which}: ${at}` : ''
  const caseData = html`data-har-case="${r.case ?? ''}" data-har-case-entries="${indices.join(' ')}"`
  const data = html`data-har-entries="${n}" ${caseData}`
  return html`<p class="har muted" ${data}>${ofCheck}${ofCase}.</p>`
}

function hasDetails(r: CheckResult): boolean {
  return r.status === 'failed' || r.status === 'warned'
}

function header(report: ConformanceReport): SafeHtml {
  const started = new Date(report.startedAt)
  const date = Number.isNaN(started.getTime())
    ? report.startedAt
    : started
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, ' UTC')
  const item = (key: string, label: string, value: SafeHtml | string) =>
    html`<div data-field="${key}"><dt>${label}</dt><dd>${value}</dd></div>`
  return html`<header class="top" id="report-header"><div class="wrap">
<h1>SCIM 2.0 <code>PUT /Users/{id}</code> conformance report</h1>
<p class="sub">${report.vendor} · ${report.target}</p>
<dl class="meta">
${item('vendor', 'Vendor', report.vendor)}
${item('spec', 'Specification', report.spec)}
${item('target', 'Target', html`<span class="mono">${report.target}</span>`)}
${item('seed', 'Seed', html`<span class="mono">${report.seed}</span>`)}
${item('runs', 'Runs per property', String(report.runs))}
${item('date', 'Started', html`<time datetime="${report.startedAt}">${date}</time>`)}
${item('duration', 'Duration', formatDuration(report.durationMs))}
${item('tool', 'Tool', `${report.tool.name} ${report.tool.version}`)}
${item('strict-rfc', 'Strict RFC', report.strictRfc ? 'on (the RFC wins)' : 'off (vendor document wins)')}
</dl></div></header>`
}

function verdict(report: ConformanceReport): SafeHtml {
  const { failed, warned } = report.summary
  const mustFailures = report.results.filter((r) => r.status === 'failed' && r.level === 'MUST').length
  if (failed > 0) {
    const must = mustFailures > 0 ? ` (${mustFailures} MUST)` : ''
    const alsoWarned = warned > 0 ? `, ${warned} warned` : ''
    const why = `${failed} check${failed === 1 ? '' : 's'} failed${must}${alsoWarned}.`
    return html`<p class="verdict" data-verdict="failed">Not conformant <span class="why">— ${why}</span></p>`
  }
  if (warned > 0) {
    const deviations = `${warned} SHOULD-level deviation${warned === 1 ? '' : 's'}`
    const why = html`<span class="why">— no MUST violated, ${deviations}.</span>`
    return html`<p class="verdict" data-verdict="warned">Conformant with warnings ${why}</p>`
  }
  const why = html`<span class="why">— no failures and no warnings.</span>`
  return html`<p class="verdict" data-verdict="passed">Conformant ${why}</p>`
}

function notices(report: ConformanceReport): SafeHtml {
  const harnessErrors = report.harnessErrors ?? []
  const partial = 'The results below are partial: checks that had not finished are missing.'
  const notice = (id: string) => html`class="notice" id="${id}" data-notice="${id}" role="status"`
  const interrupted = html`<p ${notice('interrupted')}><strong>Run interrupted.</strong> ${partial}</p>`
  const n = harnessErrors.length
  const count = html`<strong>${n} harness error${n === 1 ? '' : 's'}</strong>`
  const why = '(problems of the run itself, not findings about the server; the run exits 2)'
  // A few in view, the rest folded: a run with many errors still opens on its failures.
  const item = (e: string) => html`<li>${printable(e)}</li>`
  const folded = harnessErrors.slice(NOTICE_SHOWN)
  const more =
    folded.length > 0
      ? html`<details><summary>${folded.length} more</summary><ul>${folded.map(item)}</ul></details>`
      : ''
  const items = html`<ul>${harnessErrors.slice(0, NOTICE_SHOWN).map(item)}</ul>${more}`
  const errors = html`<div ${notice('harness-errors')}>${count} ${why}:${items}</div>`
  return html`${report.interrupted ? interrupted : ''}${n > 0 ? errors : ''}`
}

function summary(report: ConformanceReport): SafeHtml {
  const s = report.summary
  const card = (outcome: string, n: number, title: string) => {
    const label = html`<span class="n">${n}</span><span class="l">${title}</span>`
    return html`<li class="card" data-outcome="${outcome}" data-count="${n}">${label}</li>`
  }
  const cards = OUTCOMES.map((o) => card(o, s[o] ?? 0, OUTCOME_TITLE[o]))
  const errored = s.errored ? card('errored', s.errored, 'Harness errors') : ''
  return html`<section id="summary" aria-labelledby="summary-h"><h2 id="summary-h">Summary</h2>
${notices(report)}${verdict(report)}
<ul class="cards">${cards}${errored}${card('requests', s.requests, 'Requests sent')}</ul>
</section>`
}

/** Outcomes per RFC 2119 level: the head of the full list of checks. */
function byLevelTable(report: ConformanceReport): SafeHtml {
  const byLevel = countsByLevel(report.results)
  const rows = LEVELS.map((level) => {
    const counts = byLevel[level]
    const total = OUTCOMES.reduce((sum, o) => sum + counts[o], 0)
    return html`<tr data-level="${level}"><th scope="row">${levelTag(level)}</th>${OUTCOMES.map(
      (o) => html`<td class="num${counts[o] === 0 ? ' zero' : ''}" data-outcome="${o}">${counts[o]}</td>`,
    )}<td class="num" data-outcome="total">${total}</td></tr>`
  })
  const captionStyle = 'text-align:left;caption-side:top;padding-bottom:4px'
  const caption = html`<caption class="muted" style="${captionStyle}">Checks by RFC 2119 level</caption>`
  const heads = OUTCOMES.map((o) => html`<th scope="col" class="num">${OUTCOME_TITLE[o]}</th>`)
  return html`<table class="levels" id="summary-by-level">${caption}
<thead><tr><th scope="col">Level</th>${heads}<th scope="col" class="num">Total</th></tr></thead>
<tbody>${rows}</tbody></table>`
}

function traits(report: ConformanceReport): SafeHtml {
  const entries = Object.entries(report.traits).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  const body =
    entries.length === 0
      ? html`<p class="empty">No traits recorded.</p>`
      : html`<table class="traits">${thead(['Trait', 'Observed'])}<tbody>${entries.map(
          ([k, v]) => html`<tr data-trait="${k}"><td class="mono">${printable(k)}</td><td>${printable(v)}</td></tr>`,
        )}</tbody></table>`
  const notes = report.discoveryNotes ?? []
  const constraints = Object.entries(report.constraints ?? {})
  const constraintItems = constraints.map(
    ([k, v]) => html`<li data-constraint="${k}"><span class="mono">${printable(k)}</span>: ${printable(v)}</li>`,
  )
  const learned = html`<p class="muted">Refused by the server before the checks, and kept out of their payloads.</p>`
  const constraintUl = html`<ul class="notes">${constraintItems}</ul>`
  const constraintList = html`<div id="constraints"><h3>Input constraints learned</h3>${learned}${constraintUl}</div>`
  const noteItems = notes.map((n) => html`<li>${printable(n)}</li>`)
  const noteList = html`<div id="discovery-notes"><h3>Discovery notes</h3><ul class="notes">${noteItems}</ul></div>`
  return html`<section id="traits" aria-labelledby="traits-h"><h2 id="traits-h">Observed server traits</h2>
<p class="muted">Behaviour the RFC leaves to the server (MAY, or silent). Recorded, never failed on.</p>${body}${
    constraints.length > 0 ? constraintList : ''
  }${notes.length > 0 ? noteList : ''}</section>`
}

function specFindings(report: ConformanceReport): SafeHtml {
  const findings = [...report.specFindings].sort((a, b) => LEVEL_RANK[a.level] - LEVEL_RANK[b.level])
  const body =
    findings.length === 0
      ? html`<p class="empty">The vendor document does not depart from the RFCs on any point checked.</p>`
      : html`<table class="findings">${thead(['Finding', 'Level', 'Source', 'Message'])}<tbody>${findings.map((f) => {
          const cells = html`<td class="mono">${f.id}</td><td>${levelTag(f.level)}</td><td>${f.source}</td>`
          const message = html`<td class="msg">${printable(f.message)}</td>`
          return html`<tr class="finding-row" data-finding-id="${f.id}" data-level="${f.level}">${cells}${message}</tr>`
        })}</tbody></table>`
  const judged = report.strictRfc
    ? 'reported once; --strict-rfc: the server was judged by the RFC'
    : 'reported once; the server was judged against what its vendor declared'
  const title = html`<h2 id="spec-findings-h">Spec findings ${countTag(findings.length)}</h2>`
  return html`<section id="spec-findings" aria-labelledby="spec-findings-h">${title}
<p class="muted">Where the vendor's published document departs from RFC 7643/7644, ${judged}.</p>${body}</section>`
}

function checkRow(r: CheckResult, har: HarShown | null): SafeHtml {
  const traitEntries = Object.entries(r.traits ?? {})
  const idCell = hasDetails(r)
    ? html`<a class="id mono" href="#${anchor('detail', r.id)}">${r.id}</a>`
    : html`<span class="id mono">${r.id}</span>`
  const rowData = html`data-check-id="${r.id}" data-status="${r.status}" data-level="${r.level}" data-area="${r.area}"`
  const titleCell = html`<td class="title">${r.title}${idCell}</td>`
  const contract = r.contract === 'rfc' ? 'RFC' : 'vendor'
  const traitItems = traitEntries.map(
    ([k, v]) => html`<li><span class="mono">${printable(k)}</span>: ${printable(v)}</li>`,
  )
  const traitList = traitEntries.length > 0 ? html`<ul class="traits-inline">${traitItems}</ul>` : ''
  return html`<tr class="check-row" id="${anchor('check', r.id)}" ${rowData}>
<td>${badge(r.status)}</td>${titleCell}<td>${levelTag(r.level)}</td><td>${r.source}</td><td>${contract}</td>
<td class="msg">${printable(r.message)}${traitList}${harNote(r, har)}</td></tr>`
}

function checks(report: ConformanceReport, har: HarShown | null): SafeHtml {
  const areas = [...AREA_ORDER, ...new Set(report.results.map((r) => r.area).filter((a) => !AREA_ORDER.includes(a)))]
  const groups = areas
    .map((area) => ({ area, results: report.results.filter((r) => r.area === area) }))
    .filter((g) => g.results.length > 0)
  const boxes = OUTCOMES.map(
    (o) => html`<label><input type="checkbox" id="show-${o}" checked> ${OUTCOME_TITLE[o]}</label>`,
  )
  const filterLabel = 'Show checks by status'
  const filters = html`<div class="filters" role="group" aria-label="${filterLabel}"><span>Show:</span>${boxes}</div>`
  const columns = ['status', 'check', 'level', 'source', 'contract', 'msg']
  const colgroup = html`<colgroup>${columns.map((c) => html`<col class="c-${c}">`)}</colgroup>`
  const head = thead(['Status', 'Check', 'Level', 'Source', 'Contract', 'Message'])
  const tables = groups.map(({ area, results }) => {
    const counts = OUTCOMES.filter((o) => results.some((r) => r.status === o)).map(
      (o) => `${results.filter((r) => r.status === o).length} ${o}`,
    )
    const label = html`${AREA_LABEL[area] ?? area}<span class="counts">${counts.join(' · ')}</span>`
    const heading = html`<h3 id="area-${area}">${label}</h3>`
    return html`<section class="area" data-area="${area}" aria-labelledby="area-${area}">${heading}
<table class="checks">${colgroup}${head}
<tbody>${results.map((r) => checkRow(r, har))}</tbody></table></section>`
  })
  const title = html`<h2 id="checks-h">All checks ${countTag(report.results.length)}</h2>`
  return html`<section id="checks" aria-labelledby="checks-h">${title}${byLevelTable(report)}
${report.results.length === 0 ? html`<p class="empty">No checks ran.</p>` : html`${filters}${tables}`}</section>`
}

function headersBlock(headers: Record<string, string>): SafeHtml {
  const text = Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}`)
    .join('\n')
  if (text.length === 0) return html``
  const pre = html`<pre class="headers">${printable(text)}</pre>`
  return html`<details class="headers"><summary>Headers</summary>${pre}</details>`
}

function requestBlock(request: RecordedRequest, cls: string): SafeHtml {
  const line = html`<p class="http-line mono">${printable(`${request.method} ${request.url}`)}</p>`
  const body =
    request.body === null || request.body.length === 0
      ? html`<p class="empty">No body.</p>`
      : html`<pre class="body">${shown(prettyText(request.body))}</pre>`
  return html`<div class="${cls}">${line}${headersBlock(request.headers)}${body}</div>`
}

function responseBlock(response: RecordedResponse | null, error: Exchange['error'], cls: string): SafeHtml {
  if (response === null) {
    const why = error ? html`<pre class="body">${printable(`${error.code}: ${error.message}`)}</pre>` : ''
    return html`<div class="${cls}"><p class="http-line">No response</p>${why}</div>`
  }
  const reason = statusReason(response.status)
  const line = html`<p class="http-line mono" data-http-status="${response.status}">${response.status} ${reason}</p>`
  const body =
    response.bodyText.length === 0
      ? html`<p class="empty">Empty body.</p>`
      : html`<pre class="body">${shown(prettyResponseBody(response.bodyText, response.body))}</pre>`
  const truncated = response.truncated
    ? html`<p class="muted">The client stopped reading this body at its size limit.</p>`
    : ''
  return html`<div class="${cls}">${line}${headersBlock(response.headers)}${body}${truncated}</div>`
}

function diffTable(r: CheckResult): SafeHtml {
  if (!r.diff || r.diff.length === 0) return html``
  const rows = r.diff.map((d) => {
    const values = html`<td>${shown(formatValue(d.sent), 2048)}</td><td>${shown(formatValue(d.stored), 2048)}</td>`
    const note = html`<td class="note">${printable(d.note)}</td>`
    return html`<tr data-attribute="${d.attribute}"><td>${printable(d.attribute)}</td>${values}${note}</tr>`
  })
  const head = thead(['Attribute', 'Sent', 'Stored', 'Note'])
  return html`<h4>Sent vs stored</h4><table class="diff">${head}<tbody>${rows}</tbody></table>`
}

/** A finding's facts as fields (received, expected, fix), then any note the message adds; else the message. */
function findingBlock(r: CheckResult): SafeHtml {
  const f = r.finding
  if (!f) return html`<pre class="message">${printable(r.message)}</pre>`
  const note = r.message.startsWith(findingText(f)) ? r.message.slice(findingText(f).length).trim() : ''
  const received = html`<dt>Received</dt><dd>${printable(f.received)}</dd>`
  const expected = html`<dt>Expected</dt><dd>${printable(f.expected)}</dd>`
  const fix = f.fix ? html`<dt>Fix</dt><dd>${printable(f.fix)}</dd>` : ''
  const more = note ? html`<p class="muted">${printable(note)}</p>` : ''
  return html`<dl class="finding">${received}${expected}${fix}</dl>${more}`
}

/** A failing sequence or race (put.sequence.*, put.concurrency.*): its numbered steps, then its replay script. */
function storyBlock(r: CheckResult, index: number): SafeHtml {
  const story = r.story
  if (!story || story.steps.length === 0) return html``
  const scriptId = `story-script-${index}`
  const count = `${story.steps.length} step${story.steps.length === 1 ? '' : 's'}`
  const steps = story.steps.map((s) => {
    const parallel = s.parallel === undefined ? '' : html` data-parallel="${s.parallel}"`
    const action = html`<span class="mono">${printable(s.action)}</span>`
    const expected = html`<span class="muted">expected:</span> ${printable(s.expected)}`
    const received = html`<span class="muted">received:</span> ${printable(s.received)}`
    return html`<li value="${s.n}"${parallel}>${action}<br>${expected}<br>${received}</li>`
  })
  const label = 'Copy the replay script'
  const copy = html`<button type="button" data-copy-for="${scriptId}" aria-label="${label}" hidden>Copy</button>`
  const script = html`<pre class="curl" id="${scriptId}">${printable(story.script)}</pre>`
  const list = html`<h4>Story (${count})</h4><ol class="story">${steps}</ol>`
  return html`${list}<h4>Replay script</h4><div class="reproduce">${script}${copy}</div>`
}

function detail(r: CheckResult, index: number, har: HarShown | null): SafeHtml {
  const ce = r.counterexample
  const exchanges = r.exchanges ?? []
  const curlId = `curl-${index}`
  const data = html`data-check-id="${r.id}" data-status="${r.status}" data-level="${r.level}"`
  const judgedBy = r.contract === 'rfc' ? 'the RFC' : 'the vendor document'
  const runs = `${r.numRuns} run${r.numRuns === 1 ? '' : 's'}`
  const took = r.durationMs === undefined ? '' : ` · ${formatDuration(r.durationMs)}`
  let counterexample: SafeHtml | string = ''
  if (ce) {
    const sent = requestBlock(ce.request, 'request')
    const received = responseBlock(ce.response, counterexampleError(r), 'response')
    counterexample = html`<h4>Counterexample</h4><div class="pair counterexample">${sent}${received}</div>`
  }
  const exchangeItems = exchanges.map((e, i) => {
    const when = html`<p class="muted">${i + 1}. ${e.startedAt} · ${formatDuration(e.durationMs)}</p>`
    const sent = requestBlock(e.request, 'request')
    const received = responseBlock(e.response, e.error, 'response')
    return html`<div class="exchange" data-exchange="${i + 1}">${when}<div class="pair">${sent}${received}</div></div>`
  })
  const allTitle = `All ${exchanges.length} exchange${exchanges.length === 1 ? '' : 's'} of this counterexample`
  const all =
    exchanges.length > 0
      ? html`<details class="exchanges"><summary>${allTitle}</summary>${exchangeItems}</details>`
      : ''
  const copyLabel = 'Copy the curl command'
  const copy = html`<button type="button" data-copy-for="${curlId}" aria-label="${copyLabel}" hidden>Copy</button>`
  // The one curl line names a test user the run deleted at its end: only without a script that makes its own.
  const reproduce = r.reproduction
    ? ''
    : r.reproduce
      ? html`<div class="reproduce"><pre class="curl" id="${curlId}">${printable(r.reproduce)}</pre>${copy}</div>`
      : html`<p class="empty">No request to replay.</p>`
  const path = r.path === null ? '' : html` (path <code>${r.path}</code>)`
  // The self-contained script (issue 16 item 4); a story shows it as its replay script already.
  const scriptId = `reproduction-${index}`
  const scriptLabel = 'Copy the reproduction script'
  const scriptFor = html`data-copy-for="${scriptId}" aria-label="${scriptLabel}"`
  const copyScript = html`<button type="button" ${scriptFor} hidden>Copy</button>`
  const scriptPre = html`<pre class="curl" id="${scriptId}">${printable(r.reproduction?.script ?? '')}</pre>`
  const script =
    r.reproduction && !r.story
      ? html`<p class="muted">${scriptHeading(r.reproduction.script)}</p>
<div class="reproduce">${scriptPre}${copyScript}</div>`
      : ''
  const replay = r.reproduction
    ? html`<p class="replay muted">Replay the case with the harness: <code>${r.reproduction.replay}</code></p>`
    : html`<p class="replay muted">Replay the generated case with <code>--seed ${r.seed}</code>${path}.</p>`
  return html`<article class="detail" id="${anchor('detail', r.id)}" ${data}>
<h3>${badge(r.status)}<span>${r.title}</span></h3>
<p class="facts"><code>${r.id}</code> · ${levelTag(r.level)} · ${r.source} · judged by ${judgedBy} · ${runs}${took}</p>
${findingBlock(r)}
${diffTable(r)}
${storyBlock(r, index)}
${counterexample}
${all}
${harNote(r, har)}
<h4>Reproduce</h4>
${reproduce}
${script}
${replay}
</article>`
}

/** One line of the list of failures and warnings: badge, level, title and id linked to its detail, what came back. */
function findingItem(r: CheckResult): SafeHtml {
  const received = r.finding?.received ?? receivedLine(r.message) ?? r.message.split('\n')[0] ?? ''
  const link = html`<a href="#${anchor('detail', r.id)}">${r.title}</a>`
  const what = html`<span class="received">${printable(cut(received, 240))}</span>`
  const data = html`data-check-id="${r.id}" data-status="${r.status}" data-level="${r.level}"`
  const id = html`<code class="id">${r.id}</code>`
  return html`<li class="finding-item" ${data}>${badge(r.status)} ${levelTag(r.level)} ${link} ${id}${what}</li>`
}

/** With --baseline: the run's findings against it, new (those that fail the run first), known and fixed. */
function baselineSection(report: ConformanceReport): SafeHtml {
  const c = report.baseline
  if (!c) return html``
  const row = (kind: string, item: BaselineItem, note: string) =>
    html`<tr data-baseline="${kind}" data-check-id="${item.id}" data-status="${item.status}"><td>${kind}</td>
<td><code>${item.id}</code></td><td>${badge(item.status)}</td><td>${note}</td>
<td>${printable(cut(item.summary, 240))}</td></tr>`
  const before = (i: BaselineItem) =>
    i.expired
      ? `accepted until ${i.expired}, expired`
      : i.before === 'absent'
        ? 'not in the baseline'
        : `was ${i.before}`
  const rows = [
    ...c.new.map((i) => row(gates(i.status, c.failOn) ? 'NEW' : 'new', i, before(i))),
    ...c.known.map((i) => row('known', i, i.expires ? `accepted until ${i.expires}` : 'accepted')),
    ...c.fixed.map((i) => row('fixed', i, `was ${i.before}`)),
  ]
  const counts = `${c.new.length} new, ${c.known.length} known, ${c.fixed.length} fixed`
  const gate = `The run fails only on a new ${c.failOn === 'should' ? 'failure or warning' : 'failure'}.`
  const notRun = c.notRun.length > 0 ? html` Not run this time: ${c.notRun.join(', ')}.` : ''
  const title = html`<h2 id="baseline-h">Against the baseline <code>${c.against}</code></h2>`
  const table = html`<table>${thead(['', 'Check', 'Now', 'Before', 'Finding'])}<tbody>${rows}</tbody></table>`
  return html`<section id="baseline" aria-labelledby="baseline-h">${title}
<p class="muted">${counts}. ${gate}${notRun}</p>${rows.length > 0 ? table : ''}</section>`
}

/**
 * What the page opens on after the summary: every failure and warning (failures first, MUST before
 * SHOULD), one line each linked to its detail, then the details in the same order.
 */
function details(report: ConformanceReport, har: HarShown | null): SafeHtml {
  const notable = report.results
    .filter(hasDetails)
    .sort((a, b) =>
      a.status === b.status ? LEVEL_RANK[a.level] - LEVEL_RANK[b.level] : a.status === 'failed' ? -1 : 1,
    )
  if (notable.length === 0) return html``
  const title = html`<h2 id="failures-h">Failures and warnings ${countTag(notable.length)}</h2>`
  const list = html`<ol class="finding-list" id="failure-list">${notable.map(findingItem)}</ol>`
  const articles = html`<div class="details">${notable.map((r, i) => detail(r, i, har))}</div>`
  return html`<section id="failures" aria-labelledby="failures-h">${title}${list}${articles}</section>`
}

/**
 * The HTML report: one self-contained page (inline CSS, a small inline script for the copy buttons,
 * a CSP that forbids any request) that a QA team can attach to a ticket. Every piece of text is
 * escaped: server bodies render as text, never as markup.
 */
export function renderHtml(report: ConformanceReport, options: { harHref?: string } = {}): string {
  const s = report.summary
  const har = report.har ? { file: report.har.file, href: options.harHref ?? null } : null
  const title = `${report.vendor}: ${s.failed} failed, ${s.warned} warned — SCIM PUT conformance`
  const targets = [
    ['summary', 'Summary'],
    ['failures', 'Failures and warnings'],
    ['checks', 'All checks'],
    ['traits', 'Traits'],
    ['spec-findings', 'Spec findings'],
  ].map(([id, label], i) => html`${i > 0 ? ' · ' : ''}<a href="#${id}">${label}</a>`)
  const jump = html`<nav class="jump muted" aria-label="Jump to"><p>Jump to: ${targets}</p></nav>`
  const generated = `Generated by ${report.tool.name} ${report.tool.version}`
  const credits = html`RFC 7643 / RFC 7644. Credentials appear as <code>$SCIM_TOKEN</code>.`
  const page = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${REPORT_CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="${report.tool.name} ${report.tool.version}">
<title>${title}</title>
<style>${rawHtml(STYLE)}</style>
</head>
<body data-vendor="${report.vendor}" data-seed="${report.seed}">
${header(report)}
<main class="wrap">
${s.failed + s.warned > 0 ? jump : ''}
${summary(report)}
${baselineSection(report)}
${details(report, har)}
${checks(report, har)}
${traits(report)}
${specFindings(report)}
</main>
<footer><div class="wrap">${generated} · seed ${report.seed} · ${credits}</div></footer>
<script>${rawHtml(SCRIPT)}</script>
</body>
</html>
`
  return page.html
}

/**
 * Writes `<dir>/report.html` atomically (creating `dir`) and returns its path. The secrets are
 * scrubbed from the report's values (before a body is cut or pretty-printed), then from the page.
 */
export async function writeHtmlReport(
  report: ConformanceReport,
  dir: string,
  options: WriteReportOptions = {},
): Promise<string> {
  await mkdir(dir, { recursive: true })
  const path = join(dir, 'report.html')
  const secrets = secretsFrom(options)
  // The HAR file linked from the page where it lies: relative to the page's folder.
  const harHref = report.har ? relative(dir, resolve(report.har.file)).split(sep).map(encodeURIComponent).join('/') : ''
  const page = renderHtml(scrubReport(report, secrets), harHref ? { harHref } : {})
  await writeFileAtomic(path, scrubSecrets(page, secrets))
  return path
}
