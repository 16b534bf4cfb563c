/// <reference lib="dom" />
/**
 * End to end in a real browser: Debian's Chromium, driven by playwright-core, loads the default
 * site from sockserve, and the built-in listing and error pages from a folder with awkward
 * names. Each page is captured at a desktop and a phone width into test-output/ (look at them:
 * a test can check that nothing overflows, not that it looks right). In CI (CI set) a Chromium
 * that cannot start fails the test with the reason; elsewhere the test is ignored, by name, when
 * /usr/bin/chromium is not installed.
 */

import assert from "node:assert/strict";
import { type Browser, chromium, type Page, type Response } from "playwright-core";
import { createHash, createPublicKey } from "node:crypto";
import { makeTree, startServer } from "./helpers.ts";
import { makeCertificates } from "./fixtures/certificates.ts";

const CHROMIUM = Deno.env.get("CHROMIUM_PATH") ?? "/usr/bin/chromium";
const WWW = new URL("../www", import.meta.url).pathname;
const OUTPUT = new URL("../test-output/", import.meta.url).pathname;
const FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

function chromiumInstalled(): boolean {
  try {
    return Deno.statSync(CHROMIUM).isFile;
  } catch {
    return false;
  }
}

/** Viewport widths the pages are checked and captured at: a laptop and a common phone. */
const WIDTHS = [1280, 390] as const;
const VIEWPORT_HEIGHT = 800;

/** The default site is shipped inside every binary: keep it small. */
const SITE_BUDGET_BYTES = 2 * 1024 * 1024;

/** A folder for the built-in pages: nested, long and hostile names, no 404.html of its own. */
const AWKWARD_TREE: Record<string, string | Uint8Array> = {
  "docs/archive.tar.gz": new Uint8Array(40_000),
  "docs/report.pdf": "%PDF-1.4\n" + "x".repeat(5_000),
  "docs/photo.jpg": new Uint8Array(300),
  "docs/notes.txt": "notes",
  "docs/<img src=x onerror=alert(1)>.html": "x",
  "docs/a-file-with-an-extremely-long-name-that-keeps-going-and-going-without-any-spaces.txt": "a",
  'docs/deeply nested folder with a rather long name/<b>bold & "quoted"/inner.txt': "i",
  "docs/sub/": "",
};

const required = Deno.env.get("CI") !== undefined;

Deno.test("the default site stays under 2 MiB", async () => {
  let total = 0;
  const walk = async (dir: string) => {
    for await (const entry of Deno.readDir(dir)) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory) await walk(path);
      else total += (await Deno.stat(path)).size;
    }
  };
  await walk(WWW);
  assert.ok(total < SITE_BUDGET_BYTES, `www/ holds ${total} bytes`);
});

Deno.test({
  name: required || chromiumInstalled()
    ? "the default site works in Chromium: pages, images, video seeking, PDF, custom 404, built-in pages"
    : `the default site works in Chromium (ignored: ${CHROMIUM} is not installed and CI is not set)`,
  ignore: !required && !chromiumInstalled(),
  // Playwright keeps its pipe and timers alive between calls; the browser is closed in finally.
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    let browser;
    try {
      browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, timeout: 60_000 });
    } catch (error) {
      throw new Error(`Chromium cannot be started (${CHROMIUM}): ${(error as Error).message}`);
    }
    await using server = await startServer({ root: WWW, args: ["--quiet", "--listing"] });
    await using awkward = await startServer({
      root: await makeTree(AWKWARD_TREE),
      args: ["--quiet", "--listing"],
    });
    const base = `http://127.0.0.1:${server.port}/`;
    const awkwardBase = `http://127.0.0.1:${awkward.port}/`;
    try {
      const page = await browser.newPage();
      const failed = failedRequests(page);
      const responses: Response[] = [];
      page.on("response", (r) => responses.push(r));

      await t.step("the landing page renders with no failed request", async () => {
        const res = await page.goto(base, { waitUntil: "load" });
        assert.equal(res?.status(), 200);
        assert.equal(await page.locator("h1").first().textContent(), "sockserve");
        assert.deepEqual(failed, []);
        assert.deepEqual(responses.filter((r) => r.status() >= 400).map((r) => r.url()), []);
      });

      await t.step("every image on the all-files page decodes", async () => {
        await page.goto(`${base}files.html`, { waitUntil: "load" });
        const widths = await page.evaluate(() =>
          Promise.all(
            Array.from(document.images, async (img) => {
              await img.decode();
              return [img.id, img.naturalWidth] as const;
            }),
          )
        );
        assert.deepEqual(widths, [["png", 640], ["jpg", 640], ["gif", 240]]);
        assert.deepEqual(failed, []);
      });

      await t.step("the video shows its poster frame, a JPEG from the server", async () => {
        const poster = await page.evaluate(async () => {
          const video = document.querySelector("video")!;
          const img = new Image();
          img.src = video.poster;
          await img.decode();
          return [new URL(video.poster).pathname, img.naturalWidth, img.naturalHeight];
        });
        assert.deepEqual(poster, ["/samples/sample-poster.jpg", 480, 270]);
        const res = responses.find((r) => r.url().endsWith("/samples/sample-poster.jpg"));
        assert.equal(res?.status(), 200);
        assert.equal(res?.headers()["content-type"], "image/jpeg");
      });

      await t.step(
        "the video loads metadata, plays, and seeks to the middle over 206 responses",
        async () => {
          const state = await seekVideoToMiddle(page);
          assert.equal(state.error, null);
          assert.ok(state.duration > 5, `duration ${state.duration}`);
          assert.ok(state.played, "currentTime advanced while playing");
          assert.ok(
            Math.abs(state.afterSeek - state.duration / 2) < 1,
            `position after seek ${state.afterSeek}`,
          );
          const video = responses.filter((r) => r.url().endsWith("/samples/sample.mp4"));
          assert.ok(video.length > 0, "the video was requested");
          // Chromium fetches media with Range only: every response for the video is a 206, and
          // the bytes of the seek target arrive in one of them.
          assert.deepEqual(video.map((r) => r.status()), video.map(() => 206));
          const size = (await Deno.stat(`${WWW}/samples/sample.mp4`)).size;
          const middle = Math.floor(size / 2);
          const covering = video.some((r) => {
            const m = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(r.headers()["content-range"] ?? "");
            return m !== null && Number(m[1]) <= middle && Number(m[2]) >= middle &&
              Number(m[3]) === size;
          });
          assert.ok(covering, "a 206 response covers the middle of the file");
          // The same seek as a ranged fetch from the page: a 206 that starts in the middle.
          const ranged = await page.evaluate(async (start) => {
            const res = await fetch("samples/sample.mp4", {
              headers: { Range: `bytes=${start}-` },
            });
            return [
              res.status,
              res.headers.get("content-range"),
              (await res.arrayBuffer()).byteLength,
            ];
          }, middle);
          assert.deepEqual(ranged, [206, `bytes ${middle}-${size - 1}/${size}`, size - middle]);
        },
      );

      await t.step("the PDF is served as application/pdf", async () => {
        const type = await page.evaluate(async () => {
          const res = await fetch("samples/sample.pdf");
          return [res.status, res.headers.get("content-type")];
        });
        assert.deepEqual(type, [200, "application/pdf"]);
      });

      await t.step("a missing page shows the custom 404 page with status 404", async () => {
        const res = await page.goto(`${base}no-such-page`, { waitUntil: "load" });
        assert.equal(res?.status(), 404);
        assert.equal(await page.locator("#not-found").textContent(), "404 — nothing here");
      });

      await t.step("built-in pages use exactly the rules of the site's style.css", async () => {
        await page.goto(base, { waitUntil: "load" });
        const site = await page.evaluate(cssRules);
        await page.goto(`${awkwardBase}no-such-page`, { waitUntil: "load" });
        const inline = await page.evaluate(cssRules);
        assert.ok(site.length > 0);
        assert.deepEqual(inline, site);
      });

      for (const width of WIDTHS) {
        await t.step(
          `at ${width}px the landing, listing and error pages fit, aligned`,
          async () => {
            await checkPagesAt(browser!, width, base, awkwardBase);
          },
        );
      }

      await t.step("the listing sorts, and browses sorted, with JavaScript off", async () => {
        const context = await browser!.newContext({ javaScriptEnabled: false });
        try {
          const plain = await context.newPage();
          await plain.goto(`${awkwardBase}docs/`, { waitUntil: "load" });
          const firstFile = () => plain.locator("tbody tr").nth(3).locator("a").textContent();
          assert.equal(
            await firstFile(),
            "<img src=x onerror=alert(1)>.html",
          );
          await plain.locator("th a", { hasText: "Size" }).click();
          assert.equal(new URL(plain.url()).search, "?sort=size&order=desc");
          assert.equal(await firstFile(), "archive.tar.gz");
          await plain.locator("th a", { hasText: "Size" }).click();
          assert.equal(new URL(plain.url()).search, "?sort=size&order=asc");
          await plain.locator("tbody a", { hasText: "sub/" }).click();
          assert.equal(
            new URL(plain.url()).pathname + new URL(plain.url()).search,
            "/docs/sub/?sort=size&order=asc",
          );
          await plain.locator(".crumbs a", { hasText: "Home" }).click();
          assert.equal(new URL(plain.url()).pathname, "/");
          await plain.goto(`${awkwardBase}docs/?sort=nonsense&order=%3Cb%3E`, {
            waitUntil: "load",
          });
          assert.equal(
            await firstFile(),
            "<img src=x onerror=alert(1)>.html",
          );
        } finally {
          await context.close();
        }
      });

      await t.step("hostile names in a listing stay text: no markup, no script runs", async () => {
        let dialogs = 0;
        page.on("dialog", (dialog) => {
          dialogs++;
          dialog.dismiss();
        });
        await page.goto(`${awkwardBase}docs/`, { waitUntil: "load" });
        assert.equal(await page.locator("main img, main script, main b").count(), 0);
        const link = page.locator("tbody a", { hasText: "onerror" });
        assert.equal(await link.textContent(), "<img src=x onerror=alert(1)>.html");
        assert.equal(
          await link.getAttribute("href"),
          "%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E.html",
        );
        await page.goto(
          `${awkwardBase}docs/deeply%20nested%20folder%20with%20a%20rather%20long%20name/%3Cb%3Ebold%20%26%20%22quoted%22/`,
          { waitUntil: "load" },
        );
        assert.deepEqual(await page.locator(".crumbs a").allTextContents(), [
          "Home",
          "docs",
          "deeply nested folder with a rather long name",
          '<b>bold & "quoted"',
        ]);
        assert.equal(dialogs, 0);
      });
    } finally {
      await browser.close();
    }
  },
});

/** Waits for metadata, plays, seeks to the middle and reports what the element saw. */
/**
 * The page's failed requests from now on, as "URL (type): error", without the browser's own
 * cancels (net::ERR_ABORTED): a video download stopped once it has the metadata
 * (preload="metadata"), and the favicon Chromium fetches after "load" (samples/sample.png here),
 * cut off when the test navigates on at once. A fault of the server shows as another error
 * (connection reset, empty response, length mismatch, decoding failed); the images themselves are
 * proven by decoding them.
 */
function failedRequests(page: Page): string[] {
  const failed: string[] = [];
  page.on("requestfailed", (r) => {
    const error = r.failure()?.errorText;
    if (error !== "net::ERR_ABORTED") failed.push(`${r.url()} (${r.resourceType()}): ${error}`);
  });
  return failed;
}

function seekVideoToMiddle(page: Page) {
  return page.evaluate(async () => {
    const video = document.querySelector("video")!;
    const once = (event: string) =>
      new Promise((resolve) => video.addEventListener(event, resolve, { once: true }));
    if (video.readyState < 1) await once("loadedmetadata");
    await video.play();
    const start = video.currentTime;
    // Until the position moves (a loaded CI machine can take a while to decode), or 15 s.
    const deadline = Date.now() + 15_000;
    while (video.currentTime <= start && Date.now() < deadline) {
      await Promise.race([once("timeupdate"), new Promise((resolve) => setTimeout(resolve, 250))]);
    }
    const played = video.currentTime > start;
    const seeked = once("seeked");
    video.currentTime = video.duration / 2;
    await seeked;
    const afterSeek = video.currentTime;
    video.pause();
    return { duration: video.duration, played, afterSeek, error: video.error?.message ?? null };
  });
}

/** The rules of the page's first stylesheet as the browser parsed them (CSSOM text). */
function cssRules(): string[] {
  return Array.from(document.styleSheets[0].cssRules, (rule) => rule.cssText);
}

/**
 * Loads the landing page, a sorted listing and a built-in error page at one viewport width:
 * nothing wider than the viewport, every request to our own servers, the header's text on the
 * same left edge as the body's, sizes right-aligned; each page is captured full height.
 */
async function checkPagesAt(
  browser: Browser,
  width: number,
  base: string,
  awkwardBase: string,
): Promise<void> {
  const context = await browser.newContext({ viewport: { width, height: VIEWPORT_HEIGHT } });
  try {
    const page = await context.newPage();
    const foreign: string[] = [];
    page.on("request", (r) => {
      if (!r.url().startsWith(base) && !r.url().startsWith(awkwardBase)) foreign.push(r.url());
    });
    await Deno.mkdir(OUTPUT, { recursive: true });
    const pages: [string, string, number, string][] = [
      ["landing", base, 200, "main h2"],
      ["listing", `${awkwardBase}docs/?sort=size&order=desc`, 200, "main table"],
      ["error", `${awkwardBase}no-such-page`, 404, "main p"],
    ];
    for (const [name, url, status, body] of pages) {
      const res = await page.goto(url, { waitUntil: "load" });
      assert.equal(res?.status(), status, name);
      const scroll = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(scroll <= width, `${name} at ${width}px is ${scroll}px wide`);
      const heading = await page.locator("header h1").boundingBox();
      const content = await page.locator(body).first().boundingBox();
      assert.ok(heading && content);
      assert.ok(
        Math.abs(heading.x - content.x) <= 1,
        `${name}: header at ${heading.x}, body at ${content.x}`,
      );
      await page.screenshot({ path: `${OUTPUT}${name}-${width}.png`, fullPage: true });
    }
    // The listing page is the last one but one: check its size column on the way back.
    await page.goto(pages[1][1], { waitUntil: "load" });
    const align = await page.locator("tbody td:nth-child(2)").evaluateAll((cells) =>
      cells.map((cell) => getComputedStyle(cell).textAlign)
    );
    assert.ok(align.length > 0 && align.every((a) => a === "right"), align.join());
    assert.deepEqual(foreign, []);
  } finally {
    await context.close();
  }
}

/** Chromium's pin for a certificate's key: base64 SHA-256 of its SubjectPublicKeyInfo. */
function spkiPin(certPem: string): string {
  const spki = createPublicKey(certPem).export({ type: "spki", format: "der" });
  return createHash("sha256").update(spki).digest("base64");
}

Deno.test({
  name: required || chromiumInstalled()
    ? "the default site works in Chromium over HTTPS with sockserve cert's certificate, compressed"
    : `the default site works in Chromium over HTTPS (ignored: ${CHROMIUM} is not installed and CI is not set)`,
  ignore: !required && !chromiumInstalled(),
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const certs = await makeCertificates();
    // Trust exactly this certificate's key (installing the CA needs the system's trust store).
    const pinned = [...FLAGS, `--ignore-certificate-errors-spki-list=${spkiPin(certs.certPem)}`];
    let browser: Browser;
    try {
      browser = await chromium.launch({ executablePath: CHROMIUM, args: pinned, timeout: 60_000 });
    } catch (error) {
      throw new Error(`Chromium cannot be started (${CHROMIUM}): ${(error as Error).message}`);
    }
    await using server = await startServer({
      root: WWW,
      args: [
        "--quiet",
        "--host",
        "localhost",
        "--tls-cert",
        certs.cert,
        "--tls-key",
        certs.key,
        "--compress",
      ],
    });
    try {
      const page = await browser.newPage();
      const failed = failedRequests(page);
      const res = await page.goto(`https://localhost:${server.port}/`, { waitUntil: "load" });
      assert.equal(res?.status(), 200);
      assert.equal(await page.locator("h1").first().textContent(), "sockserve");
      assert.equal(await page.evaluate(() => globalThis.isSecureContext), true);
      const security = await res!.securityDetails();
      assert.match(security?.protocol ?? "", /^TLS 1\.[23]$/);
      assert.match(security?.issuer ?? "", /sockserve development CA/);
      assert.equal(security?.subjectName, "localhost");
      // Over HTTPS Chromium offers br and zstd too: the page arrives compressed and decodes to
      // the file, byte for byte.
      assert.match(res!.headers()["content-encoding"] ?? "", /^(br|zstd|gzip)$/);
      assert.match(res!.headers()["vary"] ?? "", /Accept-Encoding/);
      assert.equal(await res!.text(), await Deno.readTextFile(`${WWW}/index.html`));
      await page.goto(`https://localhost:${server.port}/files.html`, { waitUntil: "load" });
      const widths = await page.evaluate(() =>
        Promise.all(
          Array.from(document.images, async (img) => (await img.decode(), img.naturalWidth)),
        )
      );
      assert.deepEqual(widths, [640, 640, 240]);
      assert.deepEqual(failed, []);
    } finally {
      await browser.close();
    }
  },
});
