/**
 * Redirect rules of sockserve get (pure): RFC 3986 §5.4 reference resolution, the origin rule,
 * the method after a redirect, and the fields that may follow to another origin.
 */

import assert from "node:assert/strict";
import {
  fieldsForOrigin,
  formatTargetUrl,
  isSameOrigin,
  planRedirect,
  redirectMethod,
  type RedirectPlan,
  resolveReference,
  type Target,
} from "../../src/client/redirect.ts";

const RFC_BASE = "http://a/b/c/d;p?q";

Deno.test("resolveReference() gives the RFC 3986 §5.4.1 normal examples", async (t) => {
  const table: [string, string][] = [
    ["g:h", "g:h"],
    ["g", "http://a/b/c/g"],
    ["./g", "http://a/b/c/g"],
    ["g/", "http://a/b/c/g/"],
    ["/g", "http://a/g"],
    ["//g", "http://g"],
    ["?y", "http://a/b/c/d;p?y"],
    ["g?y", "http://a/b/c/g?y"],
    ["#s", "http://a/b/c/d;p?q#s"],
    ["g#s", "http://a/b/c/g#s"],
    ["g?y#s", "http://a/b/c/g?y#s"],
    [";x", "http://a/b/c/;x"],
    ["g;x", "http://a/b/c/g;x"],
    ["g;x?y#s", "http://a/b/c/g;x?y#s"],
    ["", "http://a/b/c/d;p?q"],
    [".", "http://a/b/c/"],
    ["./", "http://a/b/c/"],
    ["..", "http://a/b/"],
    ["../", "http://a/b/"],
    ["../g", "http://a/b/g"],
    ["../..", "http://a/"],
    ["../../", "http://a/"],
    ["../../g", "http://a/g"],
  ];
  for (const [reference, expected] of table) {
    await t.step(
      `"${reference}"`,
      () => assert.equal(resolveReference(RFC_BASE, reference), expected),
    );
  }
});

Deno.test("resolveReference() gives the RFC 3986 §5.4.2 abnormal examples, strictly", async (t) => {
  const table: [string, string][] = [
    ["../../../g", "http://a/g"],
    ["../../../../g", "http://a/g"],
    ["/./g", "http://a/g"],
    ["/../g", "http://a/g"],
    ["g.", "http://a/b/c/g."],
    [".g", "http://a/b/c/.g"],
    ["g..", "http://a/b/c/g.."],
    ["..g", "http://a/b/c/..g"],
    ["./../g", "http://a/b/g"],
    ["./g/.", "http://a/b/c/g/"],
    ["g/./h", "http://a/b/c/g/h"],
    ["g/../h", "http://a/b/c/h"],
    ["g;x=1/./y", "http://a/b/c/g;x=1/y"],
    ["g;x=1/../y", "http://a/b/c/y"],
    ["g?y/./x", "http://a/b/c/g?y/./x"],
    ["g?y/../x", "http://a/b/c/g?y/../x"],
    ["g#s/./x", "http://a/b/c/g#s/./x"],
    ["g#s/../x", "http://a/b/c/g#s/../x"],
    ["http:g", "http:g"],
  ];
  for (const [reference, expected] of table) {
    await t.step(
      `"${reference}"`,
      () => assert.equal(resolveReference(RFC_BASE, reference), expected),
    );
  }
});

Deno.test("resolveReference() refuses references outside the RFC 3986 grammar", () => {
  for (const bad of ["/a b", "/caf\u00e9", "/a#b#c", "/%zz", "1x:/y", "/a[1]", "\\\\evil/x"]) {
    assert.equal(resolveReference(RFC_BASE, bad), null, bad);
  }
});

const FROM: Target = { host: "127.0.0.1", port: 8080, path: "/dir/page?x=1" };
const SAME = { origin: FROM, anyHost: false };
const ANY = { origin: FROM, anyHost: true };

function plan(status: number, location: string | string[], policy = SAME): RedirectPlan {
  const values = typeof location === "string" ? [location] : location;
  return planRedirect(
    { status, fields: values.map((v) => ["Location", v] as const) },
    FROM,
    policy,
  );
}

function reason(result: RedirectPlan): string {
  assert.equal(result.kind, "refuse", JSON.stringify(result));
  return result.kind === "refuse" ? result.reason : "";
}

Deno.test("planRedirect() follows 301, 302, 303, 307 and 308 only, and only with a Location", () => {
  for (const status of [301, 302, 303, 307, 308]) {
    assert.equal(plan(status, "/next").kind, "follow", String(status));
  }
  for (const status of [200, 300, 304, 305, 306, 404]) {
    assert.equal(plan(status, "/next").kind, "final", String(status));
  }
  assert.deepEqual(planRedirect({ status: 302, fields: [] }, FROM, SAME), { kind: "final" });
});

Deno.test("planRedirect() resolves the Location against the target asked, dropping the fragment", async (t) => {
  const table: [string, Target][] = [
    ["other", { host: "127.0.0.1", port: 8080, path: "/dir/other" }],
    ["../up?q", { host: "127.0.0.1", port: 8080, path: "/up?q" }],
    ["?y=2", { host: "127.0.0.1", port: 8080, path: "/dir/page?y=2" }],
    ["#top", { host: "127.0.0.1", port: 8080, path: "/dir/page?x=1" }],
    ["/a#frag", { host: "127.0.0.1", port: 8080, path: "/a" }],
    ["http://127.0.0.1:8080?q", { host: "127.0.0.1", port: 8080, path: "/?q" }],
    ["HTTP://127.0.0.1:8080/x", { host: "127.0.0.1", port: 8080, path: "/x" }],
    ["//127.0.0.1:8080/net", { host: "127.0.0.1", port: 8080, path: "/net" }],
  ];
  for (const [location, target] of table) {
    await t.step(`"${location}"`, () => {
      const result = plan(302, location);
      assert.equal(result.kind, "follow", JSON.stringify(result));
      if (result.kind === "follow") {
        assert.deepEqual(result.target, target);
        assert.equal(result.url, formatTargetUrl(target));
        assert.equal(result.location, location);
      }
    });
  }
});

Deno.test("planRedirect() refuses another host or port unless anyHost", () => {
  for (const location of ["http://example.org/", "//localhost:8080/", "http://127.0.0.1:8081/"]) {
    assert.match(
      reason(plan(301, location)),
      /is on another host or port \(add --location-any-host/,
    );
    assert.equal(plan(301, location, ANY).kind, "follow", location);
  }
  const v6 = plan(307, "http://[::1]:9000/six", ANY);
  assert.deepEqual(v6.kind === "follow" && v6.target, { host: "::1", port: 9000, path: "/six" });
  const named = plan(301, "http://Example.ORG/", ANY);
  assert.deepEqual(named.kind === "follow" && named.target, {
    host: "example.org",
    port: 80,
    path: "/",
  });
});

Deno.test("planRedirect() refuses https, other schemes, user info, bad hosts and ports, in one line", () => {
  assert.equal(
    reason(plan(301, "https://127.0.0.1:8080/secure")),
    'Not following the redirect: "https://127.0.0.1:8080/secure" is https://, and get speaks only plain http://',
  );
  assert.match(
    reason(plan(302, "ftp://127.0.0.1/f")),
    /"ftp:\/\/127\.0\.0\.1\/f" is not an http:\/\/ URL$/,
  );
  assert.match(reason(plan(302, "http://user:pw@127.0.0.1:8080/")), /carries user information/);
  assert.match(reason(plan(302, "http:g")), /"http:g" has no host$/);
  assert.match(reason(plan(302, "http:///x")), /has no host$/);
  assert.match(reason(plan(302, "http://127.0.0.1:0/")), /has no valid port$/);
  assert.match(reason(plan(302, "http://127.0.0.1:65536/")), /has no valid port$/);
  assert.match(reason(plan(302, "http://[v1.x]/")), /has no valid host$/);
  assert.match(reason(plan(302, "http://a%41/")), /has no valid host$/);
  assert.equal(
    reason(plan(302, "/caf\u00e9\x1b[2J")),
    'Not following the redirect: Location "/caf\\xe9\\x1b[2J" is not a valid URI reference',
  );
  assert.match(reason(plan(302, ["/a", "/b"])), /the response has 2 Location fields$/);
});

Deno.test("isSameOrigin() compares host (ignoring case and brackets) and port", () => {
  const t = (host: string, port: number): Target => ({ host, port, path: "/" });
  assert.equal(isSameOrigin(t("Example.ORG", 80), t("example.org", 80)), true);
  assert.equal(isSameOrigin(t("::1", 80), t("[::1]", 80)), true);
  assert.equal(isSameOrigin(t("example.org", 80), t("example.org", 8080)), false);
  assert.equal(isSameOrigin(t("127.0.0.1", 80), t("localhost", 80)), false);
});

Deno.test("redirectMethod() turns 303 into GET (HEAD stays HEAD) and keeps the method otherwise", () => {
  assert.deepEqual(
    [301, 302, 303, 307, 308].map((s) => [redirectMethod(s, "GET"), redirectMethod(s, "HEAD")]),
    [["GET", "HEAD"], ["GET", "HEAD"], ["GET", "HEAD"], ["GET", "HEAD"], ["GET", "HEAD"]],
  );
});

Deno.test("fieldsForOrigin() keeps every field on the first origin and drops Host and credentials elsewhere", () => {
  const fields: [string, string][] = [
    ["Host", "h"],
    ["authorization", "Basic x"],
    ["Proxy-Authorization", "y"],
    ["Cookie", "c=1"],
    ["Range", "bytes=0-1"],
    ["X-Any", "1"],
  ];
  assert.deepEqual(fieldsForOrigin(fields, true), fields);
  assert.deepEqual(fieldsForOrigin(fields, false), [["Range", "bytes=0-1"], ["X-Any", "1"]]);
});
