"""The inline style sheet and script of report.html (the report must open offline, from a
file, with no external resources)."""

CSS = """
:root { --ink: #1b1b1b; --muted: #4a4a4a; --line: #c8c8c8; --bg: #ffffff; --soft: #f3f4f6;
  --ok: #0b5d1e; --ok-bg: #e3f4e8; --bad: #8a1010; --bad-bg: #fde8e8; --accent: #1d4f91; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif;
  color: var(--ink); background: var(--bg); }
a { color: var(--accent); }
.skip { position: absolute; left: -999px; top: 0; background: #fff; padding: .5rem; }
.skip:focus { left: .5rem; }
header, main { max-width: 1400px; margin: 0 auto; padding: 0 1.25rem; }
header { padding-top: 1.25rem; }
h1 { margin: 0 0 .25rem; font-size: 1.75rem; }
h2 { margin: 2rem 0 .75rem; font-size: 1.35rem; border-bottom: 2px solid var(--line); }
h3 { margin: 1.25rem 0 .5rem; font-size: 1.1rem; }
.meta { color: var(--muted); margin: 0; font-size: .95rem; display: grid;
  grid-template-columns: max-content 1fr; gap: 0 .75rem; }
.meta dt { font-weight: 600; }
.meta dd { margin: 0; overflow-wrap: anywhere; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(200px, 1fr)); gap: .75rem;
  list-style: none; padding: 0; margin: 0; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: .75rem 1rem; background: var(--soft); }
.card .label { font-weight: 600; display: block; }
.card .value { font-size: 1.9rem; font-weight: 700; display: block; line-height: 1.2; }
.card .detail { font-weight: 600; font-size: .9rem; display: block; }
.card .help { color: var(--muted); font-size: .85rem; display: block; margin-top: .4rem; }
table { border-collapse: collapse; width: 100%; }
.groups table { max-width: 62rem; margin-bottom: 1.25rem; }
.groups th[scope=row] { font-weight: 600; overflow-wrap: anywhere; }
caption { text-align: left; font-weight: 600; padding: .25rem 0; }
th, td { border-bottom: 1px solid var(--line); padding: .4rem .5rem; text-align: left; vertical-align: top; }
thead th { background: var(--soft); }
.results thead th { position: sticky; top: 0; z-index: 1; }
td.num, th.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
.bar { display: inline-block; width: 70px; height: .65rem; background: #dedede;
  border: 1px solid #8a8a8a; vertical-align: middle; margin-left: .35rem; }
.bar > span { display: block; height: 100%; background: var(--accent); }
.filters { display: flex; flex-wrap: wrap; gap: .75rem 1.5rem; align-items: end; margin: .5rem 0 1rem; }
.filters label { display: flex; flex-direction: column; font-weight: 600; font-size: .9rem; }
.filters select, .filters input { font: inherit; padding: .3rem .4rem; border: 1px solid #767676;
  border-radius: 4px; min-width: 14rem; }
#count { color: var(--muted); }
.results { table-layout: fixed; }
.results td { font-size: .925rem; overflow-wrap: anywhere; }
.results col.c-verdict { width: 13%; } .results col.c-question { width: 21%; }
.results col.c-expected { width: 17%; } .results col.c-answer { width: 23%; }
.results col.c-sources { width: 20%; } .results col.c-time { width: 6%; }
.results tr.fail > td:first-child { box-shadow: inset 5px 0 0 var(--bad); padding-left: .8rem; }
.results tr.pass > td:first-child { box-shadow: inset 5px 0 0 var(--ok); padding-left: .8rem; }
.status { display: inline-block; font-weight: 700; padding: .05rem .45rem; border-radius: 4px;
  white-space: nowrap; }
.status.fail { color: var(--bad); background: var(--bad-bg); }
.status.pass { color: var(--ok); background: var(--ok-bg); }
.why { display: block; margin-top: .3rem; }
.qid { font-family: ui-monospace, Menlo, Consolas, monospace; color: var(--muted); font-size: .85rem; }
.resolved, .history { color: var(--muted); font-size: .875rem; margin: .25rem 0 0; }
.tags { list-style: none; margin: .35rem 0 0; padding: 0; display: flex; flex-wrap: wrap; gap: .25rem; }
.tags li { background: var(--soft); border: 1px solid var(--line); border-radius: 999px;
  padding: 0 .5rem; font-size: .8rem; }
ul.plain { margin: 0; padding-left: 1.1rem; }
.hit { font-weight: 600; }
.miss { color: var(--bad); }
mark { background: #fff0a6; color: inherit; padding: 0 .1rem; }
.nf { font-style: italic; color: var(--muted); display: block; margin-bottom: .25rem; }
details { margin: .15rem 0; }
summary { cursor: pointer; color: var(--accent); }
summary:focus-visible, a:focus-visible, select:focus-visible, input:focus-visible, button:focus-visible
  { outline: 3px solid #f0a500; outline-offset: 2px; }
blockquote { margin: .3rem 0 .5rem; padding: .4rem .6rem; background: var(--soft);
  border-left: 3px solid var(--line); white-space: pre-wrap; font-size: .875rem; }
.src { color: var(--muted); font-size: .8rem; display: block; }
.explain { color: var(--muted); max-width: 75ch; }
@media print { thead th { position: static; } .filters { display: none; } details > * { display: block; } }
"""

# Filters are progressive: without script every row shows, failures first.
JS = """
(function () {
  var status = document.getElementById('f-status');
  var tag = document.getElementById('f-tag');
  var text = document.getElementById('f-text');
  var rows = Array.prototype.slice.call(document.querySelectorAll('#results tbody tr'));
  var count = document.getElementById('count');
  function norm(s) { return (s || '').toLocaleLowerCase('nb'); }
  function apply() {
    var want = status.value, t = tag.value, q = norm(text.value), shown = 0;
    rows.forEach(function (row) {
      var ok = (want === 'alle' || row.dataset.status === want)
        && (!t || (' ' + row.dataset.tags + ' ').indexOf(' ' + t + ' ') >= 0)
        && (!q || norm(row.textContent).indexOf(q) >= 0);
      row.hidden = !ok;
      if (ok) { shown += 1; }
    });
    count.textContent = 'Viser ' + shown + ' av ' + rows.length + ' spørsmål.';
  }
  [status, tag].forEach(function (el) { el.addEventListener('change', apply); });
  text.addEventListener('input', apply);
  document.getElementById('filters').hidden = false;
  apply();
})();
"""
