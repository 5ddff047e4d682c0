// The official openai and ollama npm clients against a running
// `chatumm serve` (URL in CHATUMM_URL) with the embedded model.
import OpenAI, { toFile } from "openai";
import { Ollama } from "ollama";
import assert from "node:assert/strict";

const base = process.env.CHATUMM_URL || "http://127.0.0.1:8080";
const openai = new OpenAI({ baseURL: base + "/v1", apiKey: "unused" });
const ollama = new Ollama({ host: base });
const draw = "draw a big red circle in the center on a gray background.";
const results = [];
async function check(name, fn) {
  const t0 = Date.now();
  await fn();
  results.push(name);
  console.log(`ok  ${name} (${Date.now() - t0} ms)`);
}

let drawn; // data URL of a picture the model drew
await check("openai models.list", async () => {
  const list = await openai.models.list();
  assert.equal(list.data[0].id, "chatumm-tiny");
});
await check("openai chat", async () => {
  const r = await openai.chat.completions.create({ model: "chatumm-tiny", messages: [{ role: "user", content: "hello" }] });
  assert.ok(r.choices[0].message.content.length > 0);
  assert.ok(r.usage.completion_tokens > 0);
});
await check("openai chat, image out (modalities)", async () => {
  const r = await openai.chat.completions.create({ model: "chatumm-tiny", modalities: ["text", "image"], messages: [{ role: "user", content: draw }] });
  const images = r.choices[0].message.images;
  assert.equal(images.length, 1);
  drawn = images[0].image_url.url;
  assert.match(drawn, /^data:image\/png;base64,/);
});
await check("openai chat streaming, image progress then image", async () => {
  const stream = await openai.chat.completions.create({ model: "chatumm-tiny", stream: true, modalities: ["text", "image"], messages: [{ role: "user", content: draw }] });
  let progress = 0, images = 0;
  for await (const chunk of stream) {
    const d = chunk.choices[0]?.delta || {};
    if (d.image_progress) { assert.equal(images, 0); progress++; }
    if (d.images) images += d.images.length;
  }
  assert.ok(progress > 0 && images === 1, `progress ${progress}, images ${images}`);
});
await check("openai chat, image in", async () => {
  const r = await openai.chat.completions.create({ model: "chatumm-tiny", messages: [{ role: "user", content: [
    { type: "image_url", image_url: { url: drawn } }, { type: "text", text: "what color is the circle?" }] }] });
  assert.match(r.choices[0].message.content, /red/);
});
await check("openai chat streaming text", async () => {
  const stream = await openai.chat.completions.create({ model: "chatumm-tiny", stream: true, messages: [{ role: "user", content: "hello" }] });
  let text = "";
  for await (const chunk of stream) text += chunk.choices[0]?.delta?.content || "";
  assert.ok(text.length > 0);
});
let png;
await check("openai images.generate", async () => {
  const r = await openai.images.generate({ model: "chatumm-tiny", prompt: draw, n: 1, response_format: "b64_json" });
  png = Buffer.from(r.data[0].b64_json, "base64");
  assert.equal(png.subarray(1, 4).toString(), "PNG");
});
await check("openai images.edit", async () => {
  const r = await openai.images.edit({ model: "chatumm-tiny", image: await toFile(png, "in.png", { type: "image/png" }), prompt: "make the circle blue." });
  assert.equal(Buffer.from(r.data[0].b64_json, "base64").subarray(1, 4).toString(), "PNG");
});
await check("openai error shape: unknown model is a 404", async () => {
  await assert.rejects(openai.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "hi" }] }),
    (e) => e.status === 404 && /not found/.test(e.message));
});
await check("ollama list", async () => {
  const r = await ollama.list();
  assert.equal(r.models[0].name, "chatumm-tiny:latest");
});
await check("ollama chat with images", async () => {
  const r = await ollama.chat({ model: "chatumm-tiny", messages: [{ role: "user", content: "what color is the circle?", images: [png.toString("base64")] }] });
  assert.match(r.message.content, /red/);
  assert.ok(r.eval_count > 0 && r.prompt_eval_count > 0);
});
await check("ollama chat streaming, drawn image in the message", async () => {
  const stream = await ollama.chat({ model: "chatumm-tiny", stream: true, messages: [{ role: "user", content: draw }] });
  let images = 0, done = false;
  for await (const part of stream) {
    images += (part.message.images || []).length;
    done = done || part.done;
  }
  assert.ok(images === 1 && done);
});
await check("ollama generate streaming", async () => {
  const stream = await ollama.generate({ model: "chatumm-tiny", prompt: "hello", stream: true });
  let text = "";
  for await (const part of stream) text += part.response;
  assert.ok(text.length > 0);
});
console.log(`${results.length} client checks passed`);
