/**
 * Directory listings: formatting (pure) with hostile names, and reading with confinement.
 */

import assert from "node:assert/strict";
import {
  formatListingHtml,
  formatListingJson,
  type Listing,
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
