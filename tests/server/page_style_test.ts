/**
 * The shared stylesheet (src/server/page_style.ts): the default site's copy, the minified copy
 * the built-in pages carry, and the page shell.
 */

import assert from "node:assert/strict";
import {
  formatPage,
  minifyCss,
  PAGE_STYLE,
  PAGE_STYLE_ELEMENT,
} from "../../src/server/page_style.ts";

const SITE_STYLE = new URL("../../www/style.css", import.meta.url);
/** Every built-in error page and listing carries the minified sheet: it must stay small. */
const INLINE_STYLE_BUDGET = 3 * 1024;

Deno.test("www/style.css is PAGE_STYLE byte for byte", async () => {
  assert.equal(await Deno.readTextFile(SITE_STYLE), PAGE_STYLE);
});

/** CSS tokens: strings, the punctuation minifyCss may close up around, and everything else. */
function tokens(css: string): string[] {
  return css.match(/"[^"]*"|[{}:;,>]|[^\s{}:;,>"]+/g) ?? [];
}

Deno.test("minifyCss() of PAGE_STYLE keeps every token: only white space and last semicolons go", () => {
  const minified = minifyCss(PAGE_STYLE);
  // Tokens equal means no two words were joined and nothing but `;` before `}` was dropped.
  const expected = tokens(PAGE_STYLE).filter((token, i, all) =>
    !(token === ";" && all[i + 1] === "}")
  );
  assert.deepEqual(tokens(minified), expected);
  // A space before `:` is a descendant selector (`a :hover`): minifying would change it.
  assert.doesNotMatch(PAGE_STYLE, /[^\s{};,>][ \t]+:/);
  assert.ok(minified.length <= INLINE_STYLE_BUDGET, `${minified.length} bytes`);
});

Deno.test("minifyCss() drops comments and the white space around punctuation", async (t) => {
  const cases: [string, string][] = [
    ["a {\n  color: red;\n}\n", "a{color:red}"],
    ["/* why */ a , b > c { margin : 0 auto ; }", "a,b>c{margin:0 auto}"],
    ["@media (max-width: 40rem) {\n  td {\n    x: 1;\n  }\n}", "@media (max-width:40rem){td{x:1}}"],
    ['a::before { content: "/"; }', 'a::before{content:"/"}'],
  ];
  for (const [input, expected] of cases) {
    await t.step(JSON.stringify(input), () => assert.equal(minifyCss(input), expected));
  }
});

Deno.test("PAGE_STYLE asks for nothing from the network: no url(), no @import", () => {
  assert.doesNotMatch(PAGE_STYLE, /url\(|@import/i);
});

Deno.test("formatPage() inlines the stylesheet and links to no resource", () => {
  const page = formatPage({ title: "T", nav: "<nav></nav>", heading: "H", main: "<p>M</p>" });
  assert.ok(page.includes(PAGE_STYLE_ELEMENT));
  assert.ok(page.includes("<title>T</title>"));
  assert.ok(page.includes("<h1>H</h1>"));
  assert.ok(page.includes("<main><p>M</p></main>"));
  assert.doesNotMatch(page, /<link|<script|<img|\ssrc=/i);
});
