// A load test on loopback: C clients × R multi-turn requests each, every
// request resending its dialogue; checks nothing lost or mixed up (each
// client's answers equal the ones its dialogue gets alone, greedy
// decoding being deterministic) and reports throughput and latency
// percentiles, and the server's busy slots at the end.
const base = process.env.CHATUMM_URL || "http://127.0.0.1:8080";
const C = +(process.env.CLIENTS || 16), R = +(process.env.REQUESTS || 25);
const colors = ["red", "blue", "green", "yellow"];
const lat = [];
let failures = 0, mixed = 0;
async function call(messages, modalities) {
  const t0 = performance.now();
  const r = await fetch(base + "/v1/chat/completions", { method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ model: "chatumm-tiny", messages, modalities, max_tokens: 24 }) });
  const j = await r.json();
  lat.push(performance.now() - t0);
  if (!r.ok) { failures++; return null; }
  return j;
}
const solo = {}; // colour → answers of its 5-turn dialogue run alone
async function client(k, reference) {
  const color = colors[k % colors.length];
  let messages = [];
  const answers = [];
  for (let i = 0; i < (reference ? 5 : R); i++) {
    if (i % 5 === 0) messages = []; // a new dialogue every 5 turns
    const q = messages.length === 0 ? `draw a big ${color} circle in the center on a gray background.` : "what color is the circle?";
    messages.push({ role: "user", content: q });
    const j = await call(messages, ["text", "image"]);
    if (!j) { messages.pop(); continue; }
    const m = j.choices[0].message;
    if (reference) answers.push(m.content);
    else if (m.content !== solo[color][i % 5]) mixed++;
    messages.push({ role: "assistant", content: m.content, images: m.images });
  }
  if (reference) solo[color] = answers;
}
for (let k = 0; k < colors.length; k++) await client(k, true);
lat.length = 0;
const t0 = performance.now();
await Promise.all(Array.from({ length: C }, (_, k) => client(k)));
const secs = (performance.now() - t0) / 1000;
lat.sort((a, b) => a - b);
const pct = (p) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))].toFixed(0);
const health = await (await fetch(base + "/health")).json();
console.log(`load: ${C} clients × ${R} requests = ${lat.length} in ${secs.toFixed(1)} s: ${(lat.length / secs).toFixed(1)} req/s, p50 ${pct(0.5)} ms, p99 ${pct(0.99)} ms; failed ${failures}, answers unlike the solo run ${mixed}; slots busy after: ${health.busy}, waiting ${health.waiting}`);
if (failures || mixed || health.busy || lat.length !== C * R) process.exit(1);
