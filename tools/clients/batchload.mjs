// Decode throughput of concurrent streaming clients, for comparing
// `chatumm serve --batch on` with `--batch off`: CLIENTS clients each send
// REQUESTS streaming chat completions (greedy: temperature 0, a fixed seed,
// max_tokens MAX_TOKENS) through the official openai package, all at once.
// Prints one JSON line: generated tokens, wall time, aggregate tokens/s,
// p50/p99 request latency and time to first token, and every reply's text
// by prompt. With REF=<an earlier run's JSON line in a file> it also counts
// replies that differ from that run's (greedy decoding is deterministic,
// and a batched step computes each row as it is alone). One unmeasured
// request warms the server up first.
import OpenAI from "openai";
import { readFileSync } from "node:fs";

const base = process.env.CHATUMM_URL || "http://127.0.0.1:8080";
const C = +(process.env.CLIENTS || 4), R = +(process.env.REQUESTS || 3);
const maxTokens = +(process.env.MAX_TOKENS || 64);
const client = new OpenAI({ baseURL: base + "/v1", apiKey: process.env.CHATUMM_API_KEY || "none", maxRetries: 0, timeout: 600_000 });
const topics = ["a lighthouse keeper", "a lost robot", "a dragon who bakes", "a river", "a clockmaker", "a snowy owl",
  "a city under the sea", "a violin", "a desert caravan", "a small moon", "a garden gnome", "a paper boat"];

const model = (await client.models.list()).data[0].id;
const lat = [], ttft = [], replies = {};
let tokens = 0, failures = 0;
async function one(prompt) {
  const t0 = performance.now();
  let first = 0, text = "", used = 0;
  try {
    const stream = await client.chat.completions.create({
      model, stream: true, stream_options: { include_usage: true },
      temperature: 0, seed: 7, max_tokens: maxTokens,
      messages: [{ role: "user", content: prompt }],
    });
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta?.content;
      if (delta) {
        if (!first) first = performance.now() - t0;
        text += delta;
      }
      if (chunk.usage) used = chunk.usage.completion_tokens;
    }
  } catch (e) {
    failures++;
    console.error(`${prompt}: ${e.message}`);
    return;
  }
  lat.push(performance.now() - t0);
  ttft.push(first);
  tokens += used;
  replies[prompt] = text;
}
async function worker(k) {
  for (let i = 0; i < R; i++) await one(`Tell me a story about ${topics[(k * R + i) % topics.length]}.`);
}

// A warm-up request (not counted) brings the mapped weights into memory.
await client.chat.completions.create({ model, max_tokens: 4, messages: [{ role: "user", content: "hi" }] });
lat.length = 0;
const t0 = performance.now();
await Promise.all(Array.from({ length: C }, (_, k) => worker(k)));
const secs = (performance.now() - t0) / 1000;
const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return Math.round(s[Math.min(s.length - 1, Math.floor(p * s.length))] || 0); };
const health = await (await fetch(base + "/health")).json();
let differ = null;
if (process.env.REF) {
  const ref = JSON.parse(readFileSync(process.env.REF, "utf8")).replies;
  differ = Object.keys(replies).filter((p) => p in ref && ref[p] !== replies[p]).length;
}
console.log(JSON.stringify({
  clients: C, requests: lat.length, failures, tokens, secs: +secs.toFixed(2), tok_s: +(tokens / secs).toFixed(2),
  p50_ms: pct(lat, 0.5), p99_ms: pct(lat, 0.99), ttft_p50_ms: pct(ttft, 0.5), differ,
  batched: health.batched, batched_forwards: health.batched_forwards, batched_rows: health.batched_rows, lone_steps: health.lone_steps, replies,
}));
if (failures || differ) process.exit(1);
