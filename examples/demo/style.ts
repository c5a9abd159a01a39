/** The demo's only stylesheet, served at /style.css. Plain CSS: no build step, no framework. */
export const STYLESHEET = `:root {
  --ink: #1d2433;
  --muted: #5b6577;
  --line: #d9dee7;
  --paper: #ffffff;
  --page: #f3f5f9;
  --accent: #2f5bea;
  --accent-ink: #ffffff;
  --danger: #b42318;
  --ok: #067647;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  color: var(--ink);
  background: var(--page);
  line-height: 1.5;
}
* { box-sizing: border-box; }
body { margin: 0; }
header.bar {
  display: flex; align-items: center; justify-content: space-between;
  padding: 0.75rem 1.5rem; background: var(--paper); border-bottom: 1px solid var(--line);
}
header.bar .brand { font-weight: 700; color: var(--ink); text-decoration: none; letter-spacing: 0.02em; }
header.bar nav { display: flex; gap: 1rem; align-items: center; }
header.bar nav a { color: var(--muted); text-decoration: none; }
header.bar nav a:hover { color: var(--accent); }
main { max-width: 46rem; margin: 2.5rem auto; padding: 0 1rem; }
main.narrow { max-width: 24rem; }
main.wide { max-width: 60rem; }
.mark {
  display: inline-block; width: 0.9rem; height: 0.9rem; margin-right: 0.5rem; vertical-align: -0.05rem;
  border: 3px solid var(--accent); border-radius: 50%; box-shadow: 0.45rem 0 0 -0.2rem var(--accent);
}
.device { white-space: nowrap; }
td.actions-cell { text-align: right; }
.card {
  background: var(--paper); border: 1px solid var(--line); border-radius: 10px;
  padding: 1.5rem; margin-bottom: 1.25rem; box-shadow: 0 1px 2px rgba(16, 24, 40, 0.04);
}
h1 { font-size: 1.5rem; margin: 0 0 1rem; }
h2 { font-size: 1.1rem; margin: 0 0 0.75rem; }
p { margin: 0 0 0.75rem; }
.muted { color: var(--muted); font-size: 0.9rem; }
label { display: block; font-weight: 600; font-size: 0.9rem; margin: 0.9rem 0 0.3rem; }
label.check { display: flex; gap: 0.5rem; align-items: center; font-weight: 400; }
input[type="text"], input[type="password"] {
  width: 100%; padding: 0.55rem 0.7rem; font: inherit;
  border: 1px solid var(--line); border-radius: 6px; background: #fbfcfe;
}
input:focus { outline: 2px solid var(--accent); outline-offset: 1px; }
button, a.button {
  display: inline-block; text-decoration: none; line-height: 1.5;
  font: inherit; font-weight: 600; cursor: pointer; border-radius: 6px;
  padding: 0.5rem 1rem; border: 1px solid var(--accent); background: var(--accent); color: var(--accent-ink);
}
button.primary { width: 100%; margin-top: 1.25rem; padding: 0.6rem 1rem; }
button.secondary, a.button.secondary { background: var(--paper); color: var(--accent); }
button.danger { background: var(--paper); color: var(--danger); border-color: var(--danger); }
button.link { background: none; border: none; color: var(--muted); padding: 0; font-weight: 400; }
button.link:hover { color: var(--accent); }
form.inline { display: inline; margin: 0; }
.notice { border-radius: 6px; padding: 0.6rem 0.8rem; margin-bottom: 1rem; font-size: 0.95rem; }
.notice.error { background: #fef3f2; color: var(--danger); border: 1px solid #fecdca; }
.notice.ok { background: #ecfdf3; color: var(--ok); border: 1px solid #abefc6; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.35rem 1.25rem; margin: 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; font-variant-numeric: tabular-nums; }
table { width: 100%; border-collapse: collapse; font-size: 0.92rem; }
th, td { text-align: left; padding: 0.6rem 0.5rem; border-bottom: 1px solid var(--line); vertical-align: middle; }
th { color: var(--muted); font-weight: 600; font-size: 0.8rem; text-transform: uppercase; letter-spacing: 0.04em; }
td.num { font-variant-numeric: tabular-nums; white-space: nowrap; }
.badge {
  display: inline-block; font-size: 0.75rem; font-weight: 600; padding: 0.1rem 0.5rem;
  border-radius: 999px; background: #eef2ff; color: var(--accent); margin-left: 0.4rem;
}
.actions { display: flex; gap: 0.75rem; flex-wrap: wrap; margin-top: 1rem; }
.alt { text-align: center; margin-top: 1rem; }
a { color: var(--accent); }
`;
