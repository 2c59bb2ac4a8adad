/**
 * The dashboard's stylesheet (served as /assets/ui.css), kept as text. Light and dark by the
 * system's preference; the state colours match the CLI's.
 *
 * @example
 * ```ts
 * UI_STYLE.includes(".pill"); // true
 * ```
 */
export const UI_STYLE = String.raw`:root {
  --bg: #f6f7f9; --panel: #fff; --text: #1c2330; --muted: #6b7585; --line: #e3e6eb;
  --accent: #3056d3; --accent-soft: #e8eefc; --head: #151b26; --head-text: #e9edf3;
  --ok: #1f8a4c; --bad: #c93a3a; --warn: #b7791f; --run: #0f7fa6; --wait: #6b7585;
  --mono: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0f131a; --panel: #171c25; --text: #dde3ec; --muted: #8b96a8; --line: #283040;
    --accent: #7c9cff; --accent-soft: #1e2840; --head: #0a0d12;
  }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--text);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
header.top { display: flex; align-items: center; gap: 24px; padding: 0 24px; height: 52px;
  background: var(--head); color: var(--head-text); position: sticky; top: 0; z-index: 2; }
header.top .brand { color: #fff; font-weight: 700; font-size: 18px; letter-spacing: .5px; }
header.top nav { display: flex; gap: 4px; }
header.top nav a { color: #b8c2d3; padding: 6px 12px; border-radius: 6px; }
header.top nav a:hover { background: #232b39; color: #fff; text-decoration: none; }
header.top nav a[aria-current] { background: #2a3446; color: #fff; }
header.top .meta { margin-left: auto; display: flex; align-items: center; gap: 10px; font-size: 12px; }
header.top .muted { color: #8894a8; }
.live-dot { width: 9px; height: 9px; border-radius: 50%; background: #5b6578; display: inline-block; }
.live-dot.on { background: #35c46a; box-shadow: 0 0 0 3px rgba(53,196,106,.25); }
.live-dot.off { background: #e05252; }
main { max-width: 1280px; margin: 0 auto; padding: 24px; }
h1 { font-size: 22px; margin: 0 0 16px; display: flex; align-items: center; gap: 12px; flex-wrap: wrap; }
h2 { font-size: 15px; margin: 0 0 12px; color: var(--muted); text-transform: uppercase; letter-spacing: .6px; }
.card { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 16px 18px;
  margin-bottom: 20px; box-shadow: 0 1px 2px rgba(16,24,40,.04); overflow-x: auto; }
.grid { display: grid; gap: 20px; grid-template-columns: repeat(auto-fit, minmax(340px, 1fr)); }
.stats { display: grid; gap: 12px; grid-template-columns: repeat(auto-fit, minmax(130px, 1fr)); margin-bottom: 20px; }
.stat { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 12px 16px; }
.stat b { display: block; font-size: 26px; font-weight: 650; }
.stat span { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .5px; }
.stat.s-running b { color: var(--run); } .stat.s-failed b { color: var(--bad); }
.stat.s-succeeded b { color: var(--ok); } .stat.s-queued b { color: var(--accent); }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 7px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: 12px; color: var(--muted); font-weight: 600; text-transform: uppercase; letter-spacing: .4px; }
tbody tr:hover { background: var(--accent-soft); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.cmd { font-family: var(--mono); font-size: 13px; max-width: 520px; overflow: hidden;
  text-overflow: ellipsis; white-space: nowrap; }
.muted { color: var(--muted); }
.pill { display: inline-block; padding: 1px 9px; border-radius: 999px; font-size: 12px; font-weight: 600;
  background: #eef0f3; color: var(--wait); white-space: nowrap; }
.pill.s-running { background: #e0f3fa; color: var(--run); }
.pill.s-succeeded { background: #e3f5ea; color: var(--ok); }
.pill.s-failed, .pill.s-timed_out, .pill.s-lost { background: #fbe7e7; color: var(--bad); }
.pill.s-canceled, .pill.s-paused { background: #fbf1df; color: var(--warn); }
.pill.s-queued { background: var(--accent-soft); color: var(--accent); }
@media (prefers-color-scheme: dark) { .pill { background: #232a36; } }
.badge { background: #b7791f; color: #fff; padding: 2px 8px; border-radius: 4px; font-weight: 600; }
form.inline { display: inline; margin: 0; }
form.filters { display: flex; flex-wrap: wrap; gap: 8px; align-items: end; margin-bottom: 16px; }
form.filters label { display: flex; flex-direction: column; font-size: 12px; color: var(--muted); gap: 3px; }
input, select, textarea { font: inherit; color: var(--text); background: var(--panel);
  border: 1px solid var(--line); border-radius: 6px; padding: 6px 9px; }
input[type=search] { min-width: 220px; }
textarea { width: 100%; font-family: var(--mono); }
button { font: inherit; font-weight: 600; cursor: pointer; border-radius: 6px; padding: 5px 12px;
  border: 1px solid var(--line); background: var(--panel); color: var(--text); }
button:hover { border-color: var(--accent); color: var(--accent); }
button.primary { background: var(--accent); color: #fff; border-color: var(--accent); }
button.danger:hover { border-color: var(--bad); color: var(--bad); }
.actions { display: flex; gap: 8px; flex-wrap: wrap; align-items: center; }
h1 .actions { margin-left: auto; font-size: 13px; font-weight: 400; }
h2 a.download { float: right; text-transform: none; letter-spacing: 0; font-size: 12px; font-weight: 400; }
details summary { cursor: pointer; color: var(--muted); }
.chips { display: flex; flex-wrap: wrap; gap: 6px; margin-top: 10px; }
.chips code { font-family: var(--mono); font-size: 12px; background: var(--bg); border: 1px solid var(--line);
  border-radius: 4px; padding: 1px 6px; }
.bulk { display: flex; gap: 8px; align-items: center; margin: 12px 0 0; }
.pager { display: flex; gap: 12px; justify-content: space-between; margin-top: 12px; }
dl.props { display: grid; grid-template-columns: max-content 1fr; gap: 6px 18px; margin: 0; }
dl.props dt { color: var(--muted); }
dl.props dd { margin: 0; font-family: var(--mono); font-size: 13px; word-break: break-all; }
pre { font-family: var(--mono); font-size: 12.5px; margin: 0; white-space: pre-wrap; word-break: break-all; }
pre.log { background: #0e1117; color: #d7dde8; border-radius: 8px; padding: 12px 14px;
  max-height: 420px; min-height: 48px; overflow: auto; }
pre.log.empty::before { content: "(no output yet)"; color: #6b7585; }
pre.error { background: #fdf0f0; color: #8a1f1f; padding: 10px 12px; border-radius: 8px; }
@media (prefers-color-scheme: dark) { pre.error { background: #2a1717; color: #f2b8b8; } }
progress { width: 220px; height: 10px; accent-color: var(--run); vertical-align: middle; }
.chart svg { width: 100%; height: 160px; display: block; }
.chart .ok { fill: var(--ok); } .chart .bad { fill: var(--bad); }
.chart .axis { stroke: var(--line); } .chart text { fill: var(--muted); font-size: 10px; }
.legend { display: flex; gap: 14px; font-size: 12px; color: var(--muted); margin-top: 6px; }
.legend i { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 5px; vertical-align: -1px; }
.legend .ok { background: var(--ok); } .legend .bad { background: var(--bad); }
.flash { background: var(--accent-soft); border: 1px solid var(--accent); padding: 8px 12px; border-radius: 8px; margin-bottom: 16px; }
.flash.error { background: #fbe7e7; border-color: var(--bad); color: var(--bad); }
@media (max-width: 720px) {
  header.top { gap: 12px; padding: 0 12px; }
  header.top nav { overflow-x: auto; }
  header.top .meta .muted { display: none; }
  main { padding: 16px 12px; }
}
td.actions button, td.actions input { font-size: 13px; }
.note { font-size: 12px; margin: 10px 0 0; }
.stat small { text-transform: none; letter-spacing: 0; }
.empty-note { color: var(--muted); padding: 18px 0; text-align: center; }
.stale { color: var(--bad); font-weight: 600; }
`;
