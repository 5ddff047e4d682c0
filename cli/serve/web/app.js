// chatumm's web chat: talks to this server's /v1/chat/completions with
// streaming, keeps the conversation in localStorage, attaches pictures
// (button, drag and drop, paste) and shows drawn ones scaled up crisply.
"use strict";
const $ = (id) => document.getElementById(id);
const KEY = "chatumm.conversation";
let messages = load();   // [{role, text, images: [dataURL]}]
let attached = [];       // data URLs of pictures for the next message
let controller = null;   // aborts the reply being streamed

function load() {
  try { return JSON.parse(localStorage.getItem(KEY)) || []; } catch { return []; }
}
function save() {
  try { localStorage.setItem(KEY, JSON.stringify(messages)); } catch (e) { console.warn("not saved:", e); }
}
function apiKey() { return localStorage.getItem("chatumm.apiKey") || ""; }

function bubble(m) {
  const div = document.createElement("div");
  div.className = "msg " + m.role;
  const text = document.createElement("span");
  text.className = "text";
  text.textContent = m.text || "";
  div.append(text);
  for (const url of m.images || []) div.append(picture(url));
  if (m.stopped) div.append(Object.assign(document.createElement("em"), { className: "note", textContent: "(stopped)" }));
  $("log").append(div);
  $("log").scrollTop = $("log").scrollHeight;
  return div;
}
function picture(url) {
  const img = document.createElement("img");
  img.src = url;
  img.alt = "picture";
  return img;
}
function render() {
  $("log").replaceChildren();
  for (const m of messages) bubble(m);
}
function showError(msg) { bubble({ role: "error", text: msg }); }

function renderAttached() {
  $("attached").replaceChildren(...attached.map((url, i) => {
    const img = picture(url);
    img.title = "click to remove";
    img.onclick = () => { attached.splice(i, 1); renderAttached(); };
    return img;
  }));
}
// Any picture becomes a PNG data URL (the server takes PNG and JPEG).
function attachFile(file) {
  if (!file || !file.type.startsWith("image/")) return;
  const reader = new FileReader();
  reader.onload = () => {
    if (file.type === "image/png" || file.type === "image/jpeg") {
      attached.push(reader.result); renderAttached(); return;
    }
    const img = new Image();
    img.onload = () => {
      const c = document.createElement("canvas");
      c.width = img.naturalWidth; c.height = img.naturalHeight;
      c.getContext("2d").drawImage(img, 0, 0);
      attached.push(c.toDataURL("image/png")); renderAttached();
    };
    img.src = reader.result;
  };
  reader.readAsDataURL(file);
}

function apiMessages() {
  return messages.map((m) => {
    if (m.role === "user") {
      const parts = (m.images || []).map((url) => ({ type: "image_url", image_url: { url } }));
      if (m.text) parts.push({ type: "text", text: m.text });
      return { role: "user", content: parts };
    }
    const out = { role: "assistant", content: m.text || "" };
    if (m.images && m.images.length) out.images = m.images.map((url) => ({ type: "image_url", image_url: { url } }));
    return out;
  });
}

async function send(text) {
  if (controller) return;
  if (!text && !attached.length) return;
  messages.push({ role: "user", text, images: attached });
  attached = []; renderAttached();
  bubble(messages[messages.length - 1]);
  const reply = { role: "assistant", text: "", images: [] };
  const div = bubble(reply);
  const textEl = div.querySelector(".text");
  let bar = null;
  controller = new AbortController();
  $("send").hidden = true; $("stop").hidden = false;
  const body = { model: "", messages: apiMessages(), stream: true,
    modalities: $("draw").checked ? ["text", "image"] : ["text"] };
  try {
    const headers = { "Content-Type": "application/json" };
    if (apiKey()) headers.Authorization = "Bearer " + apiKey();
    const resp = await fetch("/v1/chat/completions", { method: "POST", headers, body: JSON.stringify(body), signal: controller.signal });
    if (resp.status === 401) {
      const k = prompt("This server needs an API key:");
      if (k) localStorage.setItem("chatumm.apiKey", k);
      throw new Error("unauthorized: send again with the key");
    }
    if (!resp.ok) {
      let msg = resp.status + " " + resp.statusText;
      try { msg = (await resp.json()).error.message; } catch {}
      throw new Error(msg);
    }
    const reader = resp.body.getReader();
    const dec = new TextDecoder();
    let buf = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += dec.decode(value, { stream: true });
      let i;
      while ((i = buf.indexOf("\n\n")) >= 0) {
        const event = buf.slice(0, i); buf = buf.slice(i + 2);
        if (!event.startsWith("data: ")) continue;
        const data = event.slice(6);
        if (data === "[DONE]") continue;
        const chunk = JSON.parse(data);
        if (chunk.error) throw new Error(chunk.error.message);
        const delta = (chunk.choices && chunk.choices[0] && chunk.choices[0].delta) || {};
        if (delta.content) { reply.text += delta.content; textEl.textContent = reply.text; }
        if (delta.image_progress) {
          if (!bar) { bar = document.createElement("progress"); div.append(bar); }
          bar.max = delta.image_progress.total; bar.value = delta.image_progress.done;
        }
        for (const im of delta.images || []) {
          if (bar) { bar.remove(); bar = null; }
          reply.images.push(im.image_url.url);
          div.append(picture(im.image_url.url));
        }
        $("log").scrollTop = $("log").scrollHeight;
      }
    }
  } catch (e) {
    if (e.name === "AbortError") {
      reply.stopped = true;
      div.append(Object.assign(document.createElement("em"), { className: "note", textContent: "(stopped)" }));
    } else showError(String(e.message || e));
  } finally {
    if (bar) bar.remove();
    messages.push(reply);
    save();
    controller = null;
    $("send").hidden = false; $("stop").hidden = true;
  }
}

$("form").addEventListener("submit", (e) => {
  e.preventDefault();
  const text = $("input").value.trim();
  $("input").value = "";
  send(text);
});
$("input").addEventListener("keydown", (e) => {
  if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); $("form").requestSubmit(); }
});
$("stop").onclick = () => { if (controller) controller.abort(); };
$("new").onclick = () => { if (controller) controller.abort(); messages = []; attached = []; save(); renderAttached(); render(); };
$("attach").onclick = () => $("file").click();
$("file").onchange = () => { for (const f of $("file").files) attachFile(f); $("file").value = ""; };
document.addEventListener("paste", (e) => {
  for (const item of e.clipboardData.items) if (item.kind === "file") attachFile(item.getAsFile());
});
document.addEventListener("dragover", (e) => { e.preventDefault(); document.body.classList.add("dragging"); });
document.addEventListener("dragleave", (e) => { if (!e.relatedTarget) document.body.classList.remove("dragging"); });
document.addEventListener("drop", (e) => {
  e.preventDefault(); document.body.classList.remove("dragging");
  for (const f of e.dataTransfer.files) attachFile(f);
});
fetch("/v1/models", { headers: apiKey() ? { Authorization: "Bearer " + apiKey() } : {} })
  .then((r) => r.json()).then((j) => { $("model").textContent = j.data[0].id; }).catch(() => {});
render();
