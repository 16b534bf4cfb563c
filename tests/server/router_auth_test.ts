/**
 * Basic authentication end to end (`--auth`, `--auth-file`): a real sockserve process and real
 * clients — raw requests and curl — over real sockets. The 401 and its challenge, where 401
 * stands among the router's answers (after 421, before everything else, OPTIONS preflights only
 * with --cors), hot files and conditional or partial responses behind it, the site's own
 * 401.html, several isolates, and no credential in either log or on the console.
 */

import assert from "node:assert/strict";
import bcrypt from "bcryptjs";
import { RESPONSES_FILE, SOCKETS_FILE } from "../../src/log/format.ts";
import { formatErrorPage } from "../../src/server/error_pages.ts";
import { SERVER_NAME } from "../../src/version.ts";
import { exchange, get, makeTree, request, splitResponses, startServer } from "../helpers.ts";

const TEXT = "0123456789abcdefghijklmnopqrstuvwxyz"; // 36 bytes
/** A cheap cost (bcrypt's minimum) keeps the tests quick; the server checks it the same way. */
const ALICE = `alice:${bcrypt.hashSync("secret", 4)}`;
/** Made by Apache's `htpasswd -nbB -C 5 carol 'open sesame'`. */
const CAROL_LINE = "carol:$2y$05$SNUCgrkeW.YjbFmngiEHu.P7fL0S.MzPRNqHXL12/Lf6BSpLCtkk6";

function site(extra: Record<string, string> = {}): Promise<string> {
  return makeTree({ "t.txt": TEXT, "index.html": "home", ...extra });
}

/** The Authorization field of a user and password (RFC 7617 §2), with its CRLF. */
function basic(user: string, password: string): string {
  return `Authorization: Basic ${btoa(`${user}:${password}`)}\r\n`;
}

const ALICE_OK = basic("alice", "secret");

Deno.test("--auth: no credentials → 401 with exactly the challenge, the built-in page and no file", async () => {
  await using server = await startServer({
    root: await site(),
    args: ["--quiet", "--auth", ALICE],
  });
  const text = await exchange(server.port, get("/t.txt"));
  const [res] = splitResponses(text);
  const page = formatErrorPage(401);
  assert.equal(
    res.head.replace(/^Date: .*\r\n/m, ""),
    "HTTP/1.1 401 Unauthorized\r\n" +
      `Server: ${SERVER_NAME}\r\n` +
      'WWW-Authenticate: Basic realm="sockserve", charset="UTF-8"\r\n' +
      "Content-Type: text/html; charset=utf-8\r\n" +
      `Content-Length: ${new TextEncoder().encode(page).length}\r\n` +
      "Connection: close\r\n\r\n",
  );
  assert.equal(res.body, page);
  assert.ok(!text.includes(TEXT));
  const head = await request(server.port, `HEAD /t.txt HTTP/1.1\r\nHost: localhost\r\n\r\n`);
  assert.equal(head.status, 401);
  assert.equal(head.body, "");
});

Deno.test("--auth-realm names the realm of the challenge, quoted", async () => {
  await using server = await startServer({
    root: await site(),
    args: ["--quiet", "--auth", ALICE, "--auth-realm", 'Team "docs"'],
  });
  const res = await request(server.port, get("/"));
  assert.equal(
    res.headers.get("www-authenticate"),
    'Basic realm="Team \\"docs\\"", charset="UTF-8"',
  );
});

Deno.test("--auth: the right password gets the file; a wrong password, an unknown user and garbage get 401", async () => {
  await using server = await startServer({
    root: await site(),
    args: ["--quiet", "--auth", ALICE],
  });
  const ok = await request(server.port, get("/t.txt", ALICE_OK));
  assert.equal(ok.status, 200);
  assert.equal(ok.body, TEXT);
  for (
    const field of [
      basic("alice", "wrong"),
      basic("mallory", "secret"),
      "Authorization: Basic !!!\r\n",
      "Authorization: Bearer abc\r\n",
    ]
  ) {
    const res = await request(server.port, get("/t.txt", field));
    assert.equal(res.status, 401, field);
    assert.equal(res.headers.get("www-authenticate"), 'Basic realm="sockserve", charset="UTF-8"');
  }
});

Deno.test("--auth: keep-alive: a 401 leaves the connection open for the retry with credentials", async () => {
  await using server = await startServer({
    root: await site(),
    args: ["--quiet", "--auth", ALICE],
  });
  const keep = "GET /t.txt HTTP/1.1\r\nHost: localhost\r\n\r\n";
  const text = await exchange(server.port, keep + get("/t.txt", ALICE_OK));
  const [first, second] = splitResponses(text);
  assert.equal(first.status, 401);
  assert.equal(first.headers.get("connection"), "keep-alive");
  assert.equal(second.status, 200);
  assert.equal(second.body, TEXT);
});

Deno.test("--auth-file: a bcrypt line made by Apache's htpasswd ($2y$) lets its user in", async () => {
  const dir = await makeTree({ "users.htpasswd": `# team\r\n${CAROL_LINE}\r\n` });
  await using server = await startServer({
    root: await site(),
    args: ["--quiet", "--auth-file", `${dir}/users.htpasswd`, "--auth", ALICE],
  });
  assert.equal(
    (await request(server.port, get("/t.txt", basic("carol", "open sesame")))).status,
    200,
  );
  assert.equal((await request(server.port, get("/t.txt", basic("carol", "open")))).status, 401);
  assert.equal((await request(server.port, get("/t.txt", ALICE_OK))).status, 200);
});

Deno.test("--auth: 304 and 206 need credentials too", async () => {
  await using server = await startServer({
    root: await site(),
    args: ["--quiet", "--auth", ALICE],
  });
  const etag = (await request(server.port, get("/t.txt", ALICE_OK))).headers.get("etag")!;
  const conditional = `If-None-Match: ${etag}\r\n`;
  assert.equal((await request(server.port, get("/t.txt", conditional))).status, 401);
  assert.equal((await request(server.port, get("/t.txt", conditional + ALICE_OK))).status, 304);
  const range = "Range: bytes=0-9\r\n";
  assert.equal((await request(server.port, get("/t.txt", range))).status, 401);
  const partial = await request(server.port, get("/t.txt", range + ALICE_OK));
  assert.equal(partial.status, 206);
  assert.equal(partial.body, "0123456789");
});

Deno.test("--auth: a hot file answered from memory still asks for credentials first", async () => {
  await using server = await startServer({
    root: await site(),
    args: ["--quiet", "--auth", ALICE],
  });
  // Several authenticated GETs on one connection: the file is hot and its reply prebuilt.
  const warm = Array(3).fill("GET /t.txt HTTP/1.1\r\nHost: localhost\r\n" + ALICE_OK + "\r\n")
    .join("");
  const replies = splitResponses(await exchange(server.port, warm + get("/t.txt")));
  assert.deepEqual(replies.map((r) => r.status), [200, 200, 200, 401]);
  assert.ok(!replies[3].body.includes(TEXT));
});

Deno.test("--auth: a site's own 401.html is the body of the 401, with the challenge", async () => {
  const page = "<!doctype html><title>Members only</title><p>Log in, please.</p>\n";
  await using server = await startServer({
    root: await site({ "401.html": page }),
    args: ["--quiet", "--auth", ALICE],
  });
  const res = await request(server.port, get("/t.txt"));
  assert.equal(res.status, 401);
  assert.equal(res.body, page);
  assert.equal(res.headers.get("www-authenticate"), 'Basic realm="sockserve", charset="UTF-8"');
  assert.equal(res.headers.get("content-length"), String(page.length));
});

Deno.test("--auth: the Host policy comes first: a foreign Host gets 421, with or without credentials", async () => {
  await using server = await startServer({
    root: await site(),
    args: ["--quiet", "--auth", ALICE],
  });
  const foreign = (extra: string) =>
    `GET /t.txt HTTP/1.1\r\nHost: example.com\r\n${extra}Connection: close\r\n\r\n`;
  assert.equal((await request(server.port, foreign(""))).status, 421);
  assert.equal((await request(server.port, foreign(ALICE_OK))).status, 421);
});

Deno.test("--auth: a CORS preflight passes without credentials only with --cors", async () => {
  const preflight = "OPTIONS /t.txt HTTP/1.1\r\nHost: localhost\r\nOrigin: http://app.test\r\n" +
    "Access-Control-Request-Method: GET\r\nAccess-Control-Request-Headers: authorization\r\n" +
    "Connection: close\r\n\r\n";
  const plainOptions = "OPTIONS /t.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
  {
    await using server = await startServer({
      root: await site(),
      args: ["--quiet", "--auth", ALICE],
    });
    assert.equal((await request(server.port, preflight)).status, 401);
    assert.equal((await request(server.port, plainOptions)).status, 401);
  }
  await using server = await startServer({
    root: await site(),
    args: ["--quiet", "--auth", ALICE, "--cors"],
  });
  const res = await request(server.port, preflight);
  assert.equal(res.status, 204);
  assert.equal(res.headers.get("access-control-allow-origin"), "*");
  // A page's fetch may send Authorization only if the preflight names it.
  assert.match(res.headers.get("access-control-allow-headers")!, /^Authorization, /);
  // Not a preflight (no Access-Control-Request-Method): credentials as usual.
  assert.equal((await request(server.port, plainOptions)).status, 401);
  // The 401 is readable cross-origin, so a page can see it must log in.
  const denied = await request(server.port, get("/t.txt", "Origin: http://app.test\r\n"));
  assert.equal(denied.status, 401);
  assert.equal(denied.headers.get("access-control-allow-origin"), "*");
  const allowed = await request(server.port, get("/t.txt", ALICE_OK));
  assert.equal(allowed.status, 200);
});

Deno.test("--auth: GET /STOP needs credentials like any request", async () => {
  await using server = await startServer({
    root: await site(),
    args: ["--quiet", "--auth", ALICE, "--allow-stop"],
  });
  assert.equal((await request(server.port, get("/STOP"))).status, 401);
  assert.equal((await request(server.port, get("/t.txt", ALICE_OK))).status, 200, "still serving");
  assert.equal((await request(server.port, get("/STOP", ALICE_OK))).status, 200);
  assert.equal((await server.exited()).code, 0);
});

Deno.test("--auth: curl -u user:password gets the file; curl without -u gets 401", async () => {
  await using server = await startServer({
    root: await site(),
    args: ["--quiet", "--auth", ALICE],
  });
  const curl = async (args: string[]) => {
    const out = await new Deno.Command("curl", {
      args: ["-sS", "-w", "\n%{http_code}", ...args, `http://127.0.0.1:${server.port}/t.txt`],
    }).output();
    return new TextDecoder().decode(out.stdout);
  };
  assert.equal(await curl(["-u", "alice:secret"]), `${TEXT}\n200`);
  assert.match(await curl([]), /\n401$/);
  assert.match(await curl(["-u", "alice:nope"]), /\n401$/);
});

Deno.test("--auth with --workers 2: every isolate asks for and checks credentials", async () => {
  await using server = await startServer({
    root: await site(),
    args: ["--quiet", "--auth", ALICE, "--workers", "2"],
  });
  // Separate connections, so the kernel spreads them over both isolates.
  const statuses = await Promise.all(
    Array.from(
      { length: 8 },
      (_, i) =>
        request(server.port, get("/t.txt", i % 2 === 0 ? ALICE_OK : basic("alice", "x")))
          .then((r) => r.status),
    ),
  );
  assert.deepEqual(statuses, [200, 401, 200, 401, 200, 401, 200, 401]);
});

Deno.test("--auth: no password, base64 credentials or userinfo reach HTTPResponses.txt, SocketOutput.csv or the console", async () => {
  const logDir = await Deno.makeTempDir({ prefix: "sockserve-logs-" });
  const server = await startServer({
    root: await site(),
    logDir,
    args: ["--verbose", "--auth", ALICE],
  });
  const secrets = ["secret", "wrong-pw", "userinfo-pw", "connect-pw"];
  const requests = [
    get("/t.txt", ALICE_OK),
    get("/t.txt", basic("alice", "wrong-pw")),
    get("/t.txt", basic("mallory", "secret")),
    "GET http://alice:userinfo-pw@localhost/t.txt HTTP/1.1\r\nHost: localhost\r\n\r\n",
    "CONNECT alice:connect-pw@localhost:443 HTTP/1.1\r\nHost: localhost\r\n\r\n",
  ];
  const statuses = [];
  for (const raw of requests) statuses.push((await request(server.port, raw)).status);
  assert.deepEqual(statuses, [200, 401, 401, 400, 400]);
  assert.equal((await server.stop()).code, 0);
  const heads = await Deno.readTextFile(`${logDir}/${RESPONSES_FILE}`);
  const csv = await Deno.readTextFile(`${logDir}/${SOCKETS_FILE}`);
  // Every response is there (the check below is not vacuous), and the redacted targets too.
  assert.equal(csv.trimEnd().split("\n").length, 1 + requests.length);
  assert.match(csv, /GET,http:\/\/\*\*\*@localhost\/t\.txt,HTTP\/1\.1,400/);
  assert.match(server.stdout(), /"CONNECT \*\*\*@localhost:443 HTTP\/1\.1" 400/);
  const places = { heads, csv, stdout: server.stdout(), stderr: server.stderr() };
  const credentials = [
    ...secrets,
    btoa("alice:secret"),
    btoa("alice:wrong-pw"),
    btoa("mallory:secret"),
    "alice:",
  ];
  for (const [place, text] of Object.entries(places)) {
    for (const credential of credentials) {
      assert.ok(!text.includes(credential), `${credential} in ${place}`);
    }
    assert.ok(!/authorization/i.test(text), `an Authorization field in ${place}`);
  }
});
