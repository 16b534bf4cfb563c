/// <reference lib="dom" />
/**
 * End to end in a real browser: Debian's Chromium, driven by playwright-core, loads the default
 * site from sockserve. In CI (CI set) a Chromium that cannot start fails the test with the
 * reason; elsewhere the test is ignored, by name, when /usr/bin/chromium is not installed.
 */

import assert from "node:assert/strict";
import { chromium, type Page, type Response } from "playwright-core";
import { startServer } from "./helpers.ts";

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

const required = Deno.env.get("CI") !== undefined;

Deno.test({
  name: required || chromiumInstalled()
    ? "the default site works in Chromium: pages, images, video seeking, PDF, custom 404"
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
    await using server = await startServer({ root: WWW, args: ["--quiet"] });
    const base = `http://127.0.0.1:${server.port}/`;
    try {
      const page = await browser.newPage();
      const failed: string[] = [];
      const responses: Response[] = [];
      page.on("requestfailed", (r) => failed.push(`${r.url()}: ${r.failure()?.errorText}`));
      page.on("response", (r) => responses.push(r));

      await t.step("the landing page renders with no failed request", async () => {
        const res = await page.goto(base, { waitUntil: "load" });
        assert.equal(res?.status(), 200);
        assert.equal(await page.locator("h1").first().textContent(), "sockserve");
        assert.deepEqual(failed, []);
        assert.deepEqual(responses.filter((r) => r.status() >= 400).map((r) => r.url()), []);
        await Deno.mkdir(OUTPUT, { recursive: true });
        await page.screenshot({ path: `${OUTPUT}landing.png`, fullPage: true });
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
    } finally {
      await browser.close();
    }
  },
});

/** Waits for metadata, plays, seeks to the middle and reports what the element saw. */
function seekVideoToMiddle(page: Page) {
  return page.evaluate(async () => {
    const video = document.querySelector("video")!;
    const once = (event: string) =>
      new Promise((resolve) => video.addEventListener(event, resolve, { once: true }));
    if (video.readyState < 1) await once("loadedmetadata");
    await video.play();
    const start = video.currentTime;
    await new Promise((resolve) => setTimeout(resolve, 500));
    const played = video.currentTime > start;
    const seeked = once("seeked");
    video.currentTime = video.duration / 2;
    await seeked;
    const afterSeek = video.currentTime;
    video.pause();
    return { duration: video.duration, played, afterSeek, error: video.error?.message ?? null };
  });
}
