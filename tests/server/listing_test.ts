/**
 * Directory listings: formatting (pure) with hostile names, and reading with confinement.
 */

import assert from "node:assert/strict";
import {
  DEFAULT_LISTING_ORDER,
  formatListingHtml,
  formatListingJson,
  kindOf,
  type Listing,
  type ListingEntry,
  type ListingOrder,
  parseListingOrder,
  prefersJson,
  readListing,
  sortEntries,
} from "../../src/server/listing.ts";
import { formatSize } from "../../src/units.ts";
import { MAX_LISTING_ENTRIES } from "../../src/limits.ts";
import { type DirSource, openDirectoryInside } from "../../src/server/opener.ts";
import { makeTree } from "../helpers.ts";

const HOSTILE = [
  "<script>alert(1)</script>.html",
  "q\"uote's.txt",
  "100%.txt",
  "with space.txt",
  "caf\u00e9 \u{1f600}.txt",
  "a&b.txt",
  "javascript:alert(1)",
];

function listing(names: string[], segments: string[] = ["sub"]): Listing {
  return {
    segments,
    entries: names.map((name) => ({ name, directory: false, size: 1, modifiedMs: 0 })),
    truncated: false,
  };
}

Deno.test("formatListingHtml() escapes every hostile name and percent-encodes every link", async (t) => {
  const html = formatListingHtml(listing(HOSTILE));
  for (const name of HOSTILE) {
    await t.step(name, () => {
      assert.ok(
        html.includes(`href="${encodeURIComponent(name).replaceAll("'", "&#39;")}"`),
        `link for ${name}`,
      );
    });
  }
  assert.ok(!html.includes("<script>"), "no raw markup from names");
  assert.ok(html.includes("&#60;script&#62;alert(1)&#60;/script&#62;.html"));
  assert.ok(
    html.includes('href="javascript%3Aalert(1)"'),
    "a name cannot become a javascript: URL",
  );
  assert.ok(html.includes('href="100%25.txt"'));
  assert.ok(html.includes('href="with%20space.txt"'));
  assert.ok(html.includes("caf\u00e9 \u{1f600}.txt</a>"));
});

Deno.test("formatListingHtml() links to the parent except at the root, and escapes the title", () => {
  assert.ok(formatListingHtml(listing([], ["a"])).includes('<a href="../">../</a>'));
  assert.ok(!formatListingHtml(listing([], [])).includes('href="../"'));
  assert.ok(
    formatListingHtml(listing([], ["<b>"])).includes("<title>Index of /&#60;b&#62;/</title>"),
  );
});

Deno.test("formatListingJson() gives names raw and hrefs encoded", () => {
  const json = JSON.parse(formatListingJson(listing(["a b.txt"])));
  assert.deepEqual(json, {
    path: "/sub/",
    truncated: false,
    entries: [{
      name: "a b.txt",
      type: "file",
      size: 1,
      modified: "1970-01-01T00:00:00.000Z",
      href: "a%20b.txt",
    }],
  });
});

Deno.test("sortEntries() puts directories first, then names in natural order", () => {
  const entries = [
    { name: "file10", directory: false, size: 0, modifiedMs: null },
    { name: "b", directory: true, size: 0, modifiedMs: null },
    { name: "File2", directory: false, size: 0, modifiedMs: null },
    { name: "A", directory: true, size: 0, modifiedMs: null },
  ];
  assert.deepEqual(sortEntries(entries).map((e) => e.name), ["A", "b", "File2", "file10"]);
});

/** A file (or, with a trailing slash, a folder) with a size and a modification time. */
function entry(name: string, size = 0, modifiedMs: number | null = 0): ListingEntry {
  const directory = name.endsWith("/");
  return { name: directory ? name.slice(0, -1) : name, directory, size, modifiedMs };
}

/** The values of every href attribute, in page order. */
function hrefs(html: string): string[] {
  return [...html.matchAll(/href="([^"]*)"/g)].map((m) => m[1]);
}

/** The first table cell of every body row: the hint and the link. */
function names(html: string): string[] {
  return [...html.matchAll(/<tr><td><i>[a-z]+<\/i><a href="[^"]*">([^<]*)<\/a>/g)].map((m) => m[1]);
}

Deno.test("parseListingOrder() accepts only known values and falls back per parameter", async (t) => {
  const cases: [string | null, ListingOrder][] = [
    [null, { sort: "name", order: "asc" }],
    ["", { sort: "name", order: "asc" }],
    ["sort=size&order=desc", { sort: "size", order: "desc" }],
    ["sort=date", { sort: "date", order: "asc" }],
    ["order=desc", { sort: "name", order: "desc" }],
    ["sort=name&order=asc", { sort: "name", order: "asc" }],
    ["sort=SIZE&order=DESC", { sort: "name", order: "asc" }],
    ["sort=evil&order=sideways", { sort: "name", order: "asc" }],
    ["sort=%3Cscript%3E&order=desc", { sort: "name", order: "desc" }],
    ["sort=%73ize", { sort: "size", order: "asc" }],
    ["sort=date&sort=size", { sort: "date", order: "asc" }],
    ["sort&order", { sort: "name", order: "asc" }],
    ["sort=size;order=desc", { sort: "name", order: "asc" }],
    ["x=1&sort=date&order=desc#frag", { sort: "date", order: "asc" }],
  ];
  for (const [query, expected] of cases) {
    await t.step(String(query), () => assert.deepEqual(parseListingOrder(query), expected));
  }
});

Deno.test("sortEntries() keeps directories first in every order", () => {
  const entries = [
    entry("z.txt", 9, 9),
    entry("b/", 0, 1),
    entry("a.txt", 1, 1),
    entry("a/", 0, 5),
  ];
  for (const sort of ["name", "size", "date"] as const) {
    for (const order of ["asc", "desc"] as const) {
      const sorted = sortEntries(entries, { sort, order });
      assert.deepEqual(
        sorted.map((e) => e.directory),
        [true, true, false, false],
        `${sort} ${order}`,
      );
    }
  }
});

Deno.test("sortEntries() sorts by size and by date, ties by name, reversed for desc", async (t) => {
  const entries = [
    entry("file10", 300, 3000),
    entry("file2", 100, 1000),
    entry("big", 5000, 2000),
    entry("same-b", 100, 1000),
    entry("undated", 1, null),
  ];
  const cases: [ListingOrder, string[]][] = [
    [{ sort: "name", order: "asc" }, ["big", "file2", "file10", "same-b", "undated"]],
    [{ sort: "name", order: "desc" }, ["undated", "same-b", "file10", "file2", "big"]],
    [{ sort: "size", order: "asc" }, ["undated", "file2", "same-b", "file10", "big"]],
    [{ sort: "size", order: "desc" }, ["big", "file10", "same-b", "file2", "undated"]],
    [{ sort: "date", order: "asc" }, ["undated", "file2", "same-b", "big", "file10"]],
    [{ sort: "date", order: "desc" }, ["file10", "big", "same-b", "file2", "undated"]],
  ];
  for (const [order, expected] of cases) {
    await t.step(`${order.sort} ${order.order}`, () => {
      assert.deepEqual(sortEntries(entries, order).map((e) => e.name), expected);
    });
  }
});

Deno.test("formatListingHtml() lists in the asked order, and an unknown sort lists by name", () => {
  const list: Listing = {
    segments: [],
    entries: [
      entry("d/", 0, 1),
      entry("a.txt", 30, 1),
      entry("b.txt", 20, 3),
      entry("c.txt", 10, 2),
    ],
    truncated: false,
  };
  const page = (query: string | null) => formatListingHtml(list, parseListingOrder(query));
  assert.deepEqual(names(page(null)), ["d/", "a.txt", "b.txt", "c.txt"]);
  assert.deepEqual(names(page("sort=size")), ["d/", "c.txt", "b.txt", "a.txt"]);
  assert.deepEqual(names(page("sort=size&order=desc")), ["d/", "a.txt", "b.txt", "c.txt"]);
  assert.deepEqual(names(page("sort=date&order=desc")), ["d/", "b.txt", "c.txt", "a.txt"]);
  assert.equal(page("sort=<script>alert(1)</script>&order=x"), page(null));
  assert.equal(page("sort=bogus"), formatListingHtml(list));
});

Deno.test("formatListingHtml() column heads link to each order; the current one flips", async (t) => {
  const heads = (order: ListingOrder) => {
    const html = formatListingHtml(listing(["a.txt"], []), order);
    return html.slice(html.indexOf("<thead>"), html.indexOf("</thead>"));
  };
  await t.step("default: by name ascending", () => {
    const html = heads(DEFAULT_LISTING_ORDER);
    assert.ok(
      html.includes(
        '<th aria-sort="ascending"><a href="?sort=name&amp;order=desc">Name \u2191</a></th>',
      ),
    );
    assert.ok(html.includes('<th><a href="?sort=size&amp;order=desc">Size</a></th>'));
    assert.ok(html.includes('<th><a href="?sort=date&amp;order=desc">Modified (UTC)</a></th>'));
  });
  await t.step("by size descending", () => {
    const html = heads({ sort: "size", order: "desc" });
    assert.ok(html.includes('<th><a href="./">Name</a></th>'), "back to the plain default");
    assert.ok(
      html.includes(
        '<th aria-sort="descending"><a href="?sort=size&amp;order=asc">Size \u2193</a></th>',
      ),
    );
    assert.equal(html.match(/aria-sort/g)?.length, 1);
  });
});

Deno.test("formatListingHtml() breadcrumbs link each folder up the path with ../ only", () => {
  const html = formatListingHtml(listing([], ["a", "b", "c"]));
  assert.ok(
    html.includes(
      '<nav class="crumbs" aria-label="Breadcrumbs"><a href="../../../">Home</a>' +
        '<a href="../../">a</a><a href="../">b</a><a href="./" aria-current="page">c</a></nav>',
    ),
  );
  assert.ok(
    formatListingHtml(listing([], [])).includes(
      '<nav class="crumbs" aria-label="Breadcrumbs"><a href="./" aria-current="page">Home</a></nav>',
    ),
  );
});

Deno.test("formatListingHtml() escapes hostile folder names in breadcrumbs and never links them", () => {
  const segments = ["<script>alert(1)</script>", "q\"uote's", "javascript:alert(1)", "a&b", "100%"];
  const html = formatListingHtml(listing(HOSTILE, segments), { sort: "date", order: "desc" });
  assert.ok(!html.includes("<script>"), "no raw markup from names");
  for (const segment of segments) {
    assert.ok(html.includes(`>${segment.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)}</a>`));
  }
  const crumbs = html.slice(html.indexOf('<nav class="crumbs"'), html.indexOf("</nav>"));
  for (const link of hrefs(crumbs)) {
    assert.match(link, /^(\.\.\/)+\?sort=date&amp;order=desc$|^\.\/\?sort=date&amp;order=desc$/);
  }
});

Deno.test("formatListingHtml() links are percent-encoded names, ../ steps or a validated order", () => {
  const html = formatListingHtml(
    {
      segments: ["x"],
      entries: [...HOSTILE.map((n) => entry(n)), entry("<d>/")],
      truncated: false,
    },
    { sort: "size", order: "desc" },
  );
  for (const link of hrefs(html)) {
    // Nothing that could start a scheme, a tag or an attribute, and no raw space or quote (the
    // apostrophe encodeURIComponent leaves is escaped as &#39;).
    assert.match(
      link,
      /^([A-Za-z0-9%._~!*()\-]|&#39;)*(\/|(\.\.\/)*|\.\/)?(\?sort=[a-z]+&amp;order=[a-z]+)?$/,
    );
    assert.doesNotMatch(link, /^[a-z]+:/i);
  }
  // The order follows folder links (to keep browsing sorted), not file links.
  assert.ok(html.includes('<a href="%3Cd%3E/?sort=size&amp;order=desc">&#60;d&#62;/</a>'));
  assert.ok(html.includes('<a href="../?sort=size&amp;order=desc">../</a>'));
  assert.ok(html.includes('<a href="a%26b.txt">a&#38;b.txt</a>'));
});

Deno.test("formatListingHtml() gives each entry a type hint and a size for people", () => {
  const html = formatListingHtml({
    segments: [],
    entries: [entry("docs/"), entry("photo.JPG", 1536), entry("notes.txt", 12)],
    truncated: false,
  });
  assert.ok(html.includes('<tr><td><i>dir</i><a href="docs/">docs/</a></td><td>\u2014</td>'));
  assert.ok(
    html.includes('<tr><td><i>img</i><a href="photo.JPG">photo.JPG</a></td><td>1.5 KiB</td>'),
  );
  assert.ok(html.includes("<td>12 B</td><td>1970-01-01 00:00</td></tr>"));
});

Deno.test("kindOf() names the kind by media type from the extension", async (t) => {
  const cases: [string, boolean, string][] = [
    ["folder", true, "dir"],
    ["folder.png", true, "dir"],
    ["a.png", false, "img"],
    ["a.SVG", false, "img"],
    ["a.mp4", false, "vid"],
    ["a.webm", false, "vid"],
    ["a.mp3", false, "aud"],
    ["a.pdf", false, "pdf"],
    ["a.woff2", false, "font"],
    ["index.html", false, "html"],
    ["a.zip", false, "zip"],
    ["a.tar.gz", false, "zip"],
    ["a.json", false, "code"],
    ["a.js", false, "code"],
    ["a.css", false, "code"],
    ["feed.xml", false, "code"],
    ["a.txt", false, "txt"],
    ["a.md", false, "txt"],
    ["Makefile", false, "file"],
    [".bashrc", false, "file"],
    ["a.unknownext", false, "file"],
  ];
  for (const [name, directory, expected] of cases) {
    await t.step(name, () => assert.equal(kindOf({ name, directory }), expected));
  }
});

Deno.test("formatListingHtml() notes a truncated listing, and that a size order sorts only those", () => {
  const list: Listing = { segments: [], entries: [entry("a"), entry("b")], truncated: true };
  assert.ok(
    formatListingHtml(list).includes(
      "Only the first 2 entries, folders first and by name, are shown.</footer>",
    ),
  );
  assert.ok(
    formatListingHtml(list, { sort: "size", order: "desc" }).includes(
      "Only the first 2 entries, folders first and by name, are shown. Sorting by size orders these 2.</footer>",
    ),
  );
  assert.ok(!formatListingHtml({ ...list, truncated: false }).includes("Only the first"));
});

Deno.test("formatListingHtml() stays small: a fixed shell and a short row per entry", () => {
  const empty = formatListingHtml(listing([], [])).length;
  const hundred = formatListingHtml(
    listing(Array.from({ length: 100 }, (_, i) => `f${i}.txt`), []),
  );
  const perRow = (hundred.length - empty) / 100;
  // The shell is mostly the inline stylesheet; a row is its name twice plus the markup.
  assert.ok(empty < 4 * 1024, `shell ${empty} bytes`);
  assert.ok(perRow < 120, `${perRow} bytes per row`);
});

Deno.test("formatListingJson() keeps its fields and follows the asked order", () => {
  const list: Listing = {
    segments: ["s"],
    entries: [entry("d/", 0, 5), entry("small", 1, 7), entry("large", 9, 6)],
    truncated: false,
  };
  const json = JSON.parse(formatListingJson(list, { sort: "size", order: "desc" }));
  assert.deepEqual(Object.keys(json), ["path", "truncated", "entries"]);
  assert.deepEqual(json.entries.map((e: { name: string }) => e.name), ["d", "large", "small"]);
  for (const item of json.entries) {
    assert.deepEqual(Object.keys(item), ["name", "type", "size", "modified", "href"]);
  }
  assert.equal(formatListingJson(list), formatListingJson(list, DEFAULT_LISTING_ORDER));
});

Deno.test("formatSize() is human-readable", () => {
  assert.equal(formatSize(0), "0 B");
  assert.equal(formatSize(1023), "1023 B");
  assert.equal(formatSize(1536), "1.5 KiB");
  assert.equal(formatSize(20 * 1024 * 1024), "20.0 MiB");
});

Deno.test("prefersJson() answers JSON only when asked before HTML", () => {
  assert.equal(prefersJson(undefined), false);
  assert.equal(prefersJson("application/json"), true);
  assert.equal(prefersJson("text/html,application/json"), false);
  assert.equal(prefersJson("application/json;q=1, text/html;q=0.5"), true);
  assert.equal(prefersJson("text/html,application/xhtml+xml,*/*;q=0.8"), false);
});

for (const confinement of ["kernel", "identity"] as const) {
  Deno.test(`readListing() hides dotfiles and symlinks that leave the root (${confinement})`, async () => {
    const dir = await makeTree({ "a.txt": "aa", "d/": "", ".hidden": "h" });
    const outside = await makeTree({ "secret.txt": "s" });
    await Deno.symlink(`${outside}/secret.txt`, `${dir}/out.txt`);
    await Deno.symlink(`${dir}/a.txt`, `${dir}/in.txt`);
    await Deno.symlink(`${dir}/.hidden`, `${dir}/to-hidden.txt`);
    const list = async (dotfiles: boolean) => {
      const source = openDirectoryInside({ realPath: dir, dotfiles }, dir, confinement);
      assert.ok(!("kind" in source));
      const result = await readListing(source, [], dotfiles);
      assert.equal(result.kind, "listing");
      return result.kind === "listing" ? result.listing.entries : [];
    };
    assert.deepEqual((await list(false)).map((e) => [e.name, e.directory, e.size]), [
      ["d", true, 0],
      ["a.txt", false, 2],
      ["in.txt", false, 2],
    ]);
    assert.ok((await list(true)).some((e) => e.name === ".hidden"));
  });
}

Deno.test("readListing() keeps the first entries in listing order when a folder is too big", async () => {
  const files: Record<string, string> = {};
  // Names in reverse so directory order and sort order disagree.
  for (let i = MAX_LISTING_ENTRIES + 50; i > 0; i--) files[`f${i}.txt`] = "";
  files["zz-dir/"] = "";
  const dir = await makeTree(files);
  const source = openDirectoryInside({ realPath: dir }, dir, "kernel");
  assert.ok(!("kind" in source));
  const result = await readListing(source, [], false);
  assert.ok(result.kind === "listing");
  const names = result.listing.entries.map((e) => e.name);
  assert.equal(names.length, MAX_LISTING_ENTRIES);
  assert.equal(result.listing.truncated, true);
  assert.deepEqual(names.slice(0, 3), ["zz-dir", "f1.txt", "f2.txt"]);
  assert.equal(names.at(-1), `f${MAX_LISTING_ENTRIES - 1}.txt`);
});

Deno.test("readListing() of a folder the server cannot read is forbidden, not an error", async () => {
  const unreadable: DirSource = {
    // deno-lint-ignore require-yield
    async *entries() {
      throw new Deno.errors.PermissionDenied("Permission denied (os error 13): readdir");
    },
    isDirectory: () => null,
    describe: () => null,
    close: () => {},
  };
  assert.deepEqual(await readListing(unreadable, [], false), { kind: "forbidden" });
});
