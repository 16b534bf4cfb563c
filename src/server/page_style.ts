/**
 * The one stylesheet of sockserve's pages: the default site's `www/style.css` is a byte-for-byte
 * copy (a test compares them), and the built-in pages (directory listings, error pages) carry it
 * inline, minified, so they never make a request of their own. Pure: no `Deno.*`.
 *
 * @module
 */

/**
 * The stylesheet as `www/style.css` holds it (formatted by `deno fmt`). Kept free of comments,
 * strings with `{}:;,>` in them and backslashes, so {@linkcode minifyCss} cannot change what
 * it means.
 */
export const PAGE_STYLE = `:root {
  color-scheme: light dark;
  --accent: #1f6fd6;
  --ink: #1d2433;
  --muted: #566074;
  --card: #f4f6fb;
  --line: #dde2ee;
}
@media (prefers-color-scheme: dark) {
  :root {
    --accent: #7ab0f5;
    --ink: #e6e9f2;
    --muted: #a3acc0;
    --card: #171c27;
    --line: #2a3142;
  }
  body {
    background: #0f131b;
  }
}
* {
  box-sizing: border-box;
}
body {
  font: 17px/1.6 system-ui, -apple-system, "Segoe UI", sans-serif;
  margin: 0;
  color: var(--ink);
}
header {
  background: linear-gradient(135deg, #2a7ae2, #0b1d3a);
  color: #fff;
  padding: 3.5rem 0 3rem;
  overflow-wrap: anywhere;
}
.wrap,
main {
  max-width: 52rem;
  margin: 0 auto;
  padding: 0 1.25rem;
}
main {
  padding-top: 1.5rem;
  padding-bottom: 3rem;
}
header h1 {
  font-size: 3rem;
  line-height: 1.15;
  margin: 0.3rem 0 0;
  letter-spacing: -0.02em;
}
header p {
  font-size: 1.2rem;
  max-width: 40rem;
  margin: 0.6rem 0 0;
  opacity: 0.92;
}
header a {
  color: #fff;
}
nav a {
  margin-right: 1.2rem;
  font-weight: 600;
}
.bar {
  padding: 1.5rem 0 1.25rem;
}
.bar h1 {
  font-size: clamp(1.4rem, 5vw, 1.9rem);
}
.crumbs a {
  margin: 0;
}
.crumbs a + a::before {
  content: "/";
  display: inline-block;
  margin: 0 0.45rem;
  opacity: 0.6;
}
h2 {
  margin-top: 2.2rem;
}
a {
  color: var(--accent);
}
pre {
  background: var(--card);
  border: 1px solid var(--line);
  padding: 0.9rem 1rem;
  border-radius: 8px;
  overflow-x: auto;
}
code {
  font: 0.9em ui-monospace, "DejaVu Sans Mono", monospace;
}
.grid {
  display: grid;
  grid-template-columns: repeat(auto-fit, minmax(11rem, 1fr));
  gap: 1rem;
}
.card {
  background: var(--card);
  border: 1px solid var(--line);
  border-radius: 10px;
  padding: 1rem;
}
.card h3 {
  margin: 0 0 0.4rem;
  font-size: 1.05rem;
}
.card p {
  margin: 0;
  color: var(--muted);
  font-size: 0.95rem;
}
figure {
  margin: 0;
}
figure img,
figure video {
  width: 100%;
  height: auto;
  border-radius: 8px;
  display: block;
  background: #0003;
}
figcaption {
  color: var(--muted);
  font-size: 0.9rem;
  margin-top: 0.4rem;
}
table {
  width: 100%;
  border-collapse: collapse;
  font-size: 0.95rem;
  font-variant-numeric: tabular-nums;
}
th,
td {
  padding: 0.4rem 0.5rem;
  border-bottom: 1px solid var(--line);
  text-align: left;
  vertical-align: top;
}
th {
  font-size: 0.85rem;
}
th:first-child,
td:first-child {
  padding-left: 0;
}
th:last-child,
td:last-child {
  padding-right: 0;
}
th a {
  color: var(--muted);
}
th[aria-sort] a {
  color: var(--ink);
}
td:first-child {
  width: 100%;
  overflow-wrap: anywhere;
}
th:nth-child(2),
td:nth-child(2) {
  text-align: right;
  white-space: nowrap;
}
td:nth-child(3) {
  color: var(--muted);
}
@media (min-width: 40rem) {
  th,
  td:nth-child(3) {
    white-space: nowrap;
  }
}
@media (max-width: 40rem) {
  td:nth-child(3) {
    min-width: 6.5em;
    font-size: 0.8rem;
  }
}
td i {
  display: inline-block;
  width: 2.9rem;
  margin-right: 0.5rem;
  border: 1px solid var(--line);
  border-radius: 4px;
  background: var(--card);
  color: var(--muted);
  font: 600 0.7rem/1.6 ui-monospace, "DejaVu Sans Mono", monospace;
  text-align: center;
  text-transform: uppercase;
  vertical-align: 0.1em;
}
footer {
  color: var(--muted);
  font-size: 0.9rem;
  border-top: 1px solid var(--line);
  padding-top: 1rem;
  margin-top: 3rem;
}
`;

/**
 * Shrinks CSS by removing comments and the white space that carries no meaning: runs of white
 * space become one space, and none is kept around `{ } : ; , >`. Meant for
 * {@linkcode PAGE_STYLE}: a string or selector with spaces around those characters would change.
 *
 * @param css The stylesheet.
 * @returns The same rules in fewer bytes.
 * @example
 * ```ts
 * minifyCss("a {\n  color: red;\n}\n"); // "a{color:red}"
 * ```
 */
export function minifyCss(css: string): string {
  return css
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .replace(/\s+/g, " ")
    .replace(/ ?([{}:;,>]) ?/g, "$1")
    .replaceAll(";}", "}")
    .trim();
}

/** The `<style>` element every built-in page carries: {@linkcode PAGE_STYLE}, minified once. */
export const PAGE_STYLE_ELEMENT = `<style>${minifyCss(PAGE_STYLE)}</style>`;

/** The parts of a built-in page, each already HTML (the caller escapes what it reflects). */
export interface PageParts {
  /** The document title, escaped. */
  readonly title: string;
  /** Links above the heading (site home, or the breadcrumbs of a listing). */
  readonly nav: string;
  /** The heading, escaped. */
  readonly heading: string;
  /** The body of the page. */
  readonly main: string;
}

/**
 * Formats a built-in page: the site's header bar (nav and heading) and a main column, with the
 * shared stylesheet inline and no external request.
 *
 * @param parts Title, nav, heading and main content, all HTML the caller has escaped.
 * @returns The page.
 */
export function formatPage(parts: PageParts): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${parts.title}</title>
${PAGE_STYLE_ELEMENT}</head>
<body><header class="bar"><div class="wrap">${parts.nav}<h1>${parts.heading}</h1></div></header>
<main>${parts.main}</main></body></html>
`;
}
