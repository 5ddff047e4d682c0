// The web chat page in Debian's chromium, headless, driven by
// playwright-core: draw a picture, ask about it, attach one (file
// button), reload (the conversation persists), stop a reply. Screenshots
// go to out/page-*.png.
import { chromium } from "playwright-core";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";

const base = process.env.CHATUMM_URL || "http://127.0.0.1:8080";
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run"] });
const page = await browser.newPage({ viewport: { width: 900, height: 700 } });
page.on("pageerror", (e) => { console.error("page error:", e); process.exitCode = 1; });
await page.goto(base + "/");
const send = async (text) => {
  await page.fill("#input", text);
  await page.press("#input", "Enter");
  await page.waitForSelector("#send:not([hidden])", { timeout: 30000 });
};
const replies = () => page.$$eval(".msg.assistant", (els) => els.map((e) => ({ text: e.querySelector(".text").textContent, images: e.querySelectorAll("img").length })));

await send("draw a big red circle in the center on a gray background.");
let r = await replies();
assert.equal(r.at(-1).images, 1, "a drawn picture");
// The picture is shown scaled up with crisp pixels.
const size = await page.$eval(".msg.assistant img", (img) => [img.naturalWidth, img.getBoundingClientRect().width, getComputedStyle(img).imageRendering]);
assert.equal(size[0], 24); assert.ok(size[1] >= 96); assert.equal(size[2], "pixelated");
await page.screenshot({ path: "out/page-1-drawn.png" });

await send("what color is the circle?");
r = await replies();
assert.match(r.at(-1).text, /red/);
await page.screenshot({ path: "out/page-2-asked.png" });

// Attach a picture through the file button: the one drawn above.
const url = await page.$eval(".msg.assistant img", (img) => img.src);
writeFileSync("out/attach.png", Buffer.from(url.split(",")[1], "base64"));
await page.click("#new");
await page.setInputFiles("#file", "out/attach.png");
await page.waitForSelector("#attached img");
await send("what color is the circle?");
r = await replies();
assert.match(r.at(-1).text, /red/);
assert.equal(await page.$$eval(".msg.user img", (els) => els.length), 1);
await page.screenshot({ path: "out/page-3-attached.png" });

// Drag and drop, and paste, attach pictures too.
await page.click("#new");
const b64 = url.split(",")[1];
await page.evaluate((b64) => {
  const file = () => new File([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], "p.png", { type: "image/png" });
  const drop = new DataTransfer(); drop.items.add(file());
  document.dispatchEvent(new DragEvent("drop", { dataTransfer: drop, bubbles: true, cancelable: true }));
  const paste = new DataTransfer(); paste.items.add(file());
  document.dispatchEvent(new ClipboardEvent("paste", { clipboardData: paste, bubbles: true }));
}, b64);
await page.waitForFunction(() => document.querySelectorAll("#attached img").length === 2);
await page.screenshot({ path: "out/page-3b-dropped-pasted.png" });
await send("what color is the circle?");
assert.equal(await page.$$eval(".msg.user img", (els) => els.length), 2);

// The conversation survives a reload.
await page.reload();
await page.waitForSelector(".msg.assistant");
assert.equal((await replies()).length, 1);
assert.equal(await page.$$eval(".msg.user img", (els) => els.length), 2);

// Stop a reply: the tiny model answers in milliseconds, so Stop is
// pressed in the same task as Send (the stream is then cut before its
// first chunk); the reply is marked stopped and the page is usable again.
await page.click("#new");
await page.fill("#input", "tell me a very long story about circles and squares and triangles");
await page.evaluate(() => { document.getElementById("form").requestSubmit(); document.getElementById("stop").click(); });
await page.waitForSelector("#send:not([hidden])", { timeout: 10000 });
await page.waitForSelector(".msg.assistant .note");
await page.screenshot({ path: "out/page-4-stopped.png" });
await send("draw a small blue square at the top left on a white background.");
r = await replies();
assert.equal(r.at(-1).images, 1);
await page.screenshot({ path: "out/page-5-after-stop.png" });
await browser.close();
console.log("page checks passed; screenshots in out/page-*.png");
