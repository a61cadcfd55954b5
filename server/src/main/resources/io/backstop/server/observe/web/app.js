// The playground (streams a chat from the server's own API) and the live dashboard (polls /stats).
"use strict";
const $ = (id) => document.getElementById(id);
const keyInput = $("api-key");
keyInput.value = localStorage.getItem("backstop.apiKey") || "";
keyInput.addEventListener("change", () => { localStorage.setItem("backstop.apiKey", keyInput.value); refreshModels(); });

function headers(extra) {
  const h = Object.assign({}, extra || {});
  if (keyInput.value) h["Authorization"] = "Bearer " + keyInput.value;
  return h;
}

async function refreshModels() {
  const select = $("model");
  try {
    const r = await fetch("/v1/models", { headers: headers() });
    if (!r.ok) { setStatus("models: HTTP " + r.status, true); return; }
    const body = await r.json();
    const previous = select.value;
    select.innerHTML = "";
    for (const m of body.data) {
      const o = document.createElement("option");
      o.value = o.textContent = m.id;
      select.appendChild(o);
    }
    if (previous) select.value = previous;
  } catch (e) {
    setStatus("cannot list models: " + e, true);
  }
}

function setStatus(text, error) {
  $("status").textContent = text;
  $("status").className = error ? "error" : "";
}

let controller = null;

async function send() {
  const answer = $("answer");
  answer.textContent = "";
  ["provider", "ttft", "tps", "tokens", "cost"].forEach((id) => ($(id).textContent = "–"));
  $("send").disabled = true;
  $("stop").disabled = false;
  setStatus("streaming…");
  controller = new AbortController();
  const started = performance.now();
  let first = 0, events = 0, usage = null;
  try {
    const r = await fetch("/v1/chat/completions", {
      method: "POST",
      signal: controller.signal,
      headers: headers({ "Content-Type": "application/json" }),
      body: JSON.stringify({
        model: $("model").value,
        messages: [{ role: "user", content: $("prompt").value }],
        max_tokens: Number($("max-tokens").value),
        temperature: Number($("temperature").value),
        stream: true,
        stream_options: { include_usage: true },
      }),
    });
    const provider = r.headers.get("X-Backstop-Provider");
    if (provider) $("provider").textContent = provider + ":" + (r.headers.get("X-Backstop-Model") || "");
    if (!r.ok) {
      const e = await r.json().catch(() => null);
      throw new Error(e && e.error ? e.error.message : "HTTP " + r.status);
    }
    const reader = r.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let cut;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        if (!block.startsWith("data: ")) continue;
        const data = block.slice(6);
        if (data === "[DONE]") continue;
        const event = JSON.parse(data);
        if (event.error) throw new Error(event.error.message);
        if (event.usage) usage = event.usage;
        const delta = event.choices && event.choices[0] && event.choices[0].delta;
        if (delta && delta.content) {
          if (!first) { first = performance.now(); $("ttft").textContent = (first - started).toFixed(0) + " ms"; }
          events++;
          answer.textContent += delta.content;
        }
      }
    }
    const out = usage ? usage.completion_tokens : events;
    const seconds = (performance.now() - (first || started)) / 1000;
    $("tps").textContent = out > 1 && seconds > 0 ? ((out - 1) / seconds).toFixed(1) : "–";
    if (usage) $("tokens").textContent = usage.prompt_tokens + " in / " + usage.completion_tokens + " out";
    $("cost").textContent = usage && usage.cost_usd !== undefined ? "$" + usage.cost_usd.toFixed(8) : "not priced";
    setStatus("done");
  } catch (e) {
    setStatus(e.name === "AbortError" ? "stopped" : String(e.message || e), e.name !== "AbortError");
  } finally {
    $("send").disabled = false;
    $("stop").disabled = true;
    controller = null;
  }
}

$("send").addEventListener("click", send);
$("stop").addEventListener("click", () => controller && controller.abort());

// ---- dashboard ----
const charts = { rate: Sparkline($("chart-rate"), "#2563eb"), tps: Sparkline($("chart-tps"), "#059669"), cost: Sparkline($("chart-cost"), "#b54708") };
let last = null;

function triple(p) {
  return p && p.p50 !== undefined ? [p.p50, p.p95, p.p99].map((v) => v.toFixed(1)).join(" / ") : "–";
}

function rows(tbody, items, cells) {
  tbody.innerHTML = "";
  for (const it of items) {
    const tr = document.createElement("tr");
    for (const [text, cls] of cells(it)) {
      const td = document.createElement("td");
      td.textContent = text;
      if (cls) td.className = cls;
      tr.appendChild(td);
    }
    tbody.appendChild(tr);
  }
}

async function poll() {
  try {
    const r = await fetch("/stats", { headers: headers() });
    if (!r.ok) { $("updated").textContent = "stats: HTTP " + r.status; return; }
    const s = await r.json();
    const dt = last ? (s.now_ms - last.now_ms) / 1000 : 0;
    const rate = dt > 0 ? (s.requests - last.requests) / dt : 0;
    const tps = dt > 0 ? (s.tokens_out - last.tokens_out) / dt : 0;
    $("stat-requests").textContent = s.requests;
    $("stat-rate").textContent = rate.toFixed(2) + "/s";
    $("stat-tokens-out").textContent = s.tokens_out;
    $("stat-tps").textContent = tps.toFixed(1) + " tok/s";
    $("stat-ttft").textContent = triple(s.ttft_ms);
    $("stat-tpot").textContent = triple(s.tpot_ms);
    $("stat-fallbacks").textContent = s.fallbacks;
    $("stat-outcomes").textContent = Object.entries(s.outcomes).map(([k, v]) => k + " " + v).join(", ");
    $("stat-blocks").textContent = s.guardrail_blocks;
    $("stat-decisions").textContent = s.guardrail_decisions + " decisions";
    $("stat-cost").textContent = "$" + s.cost_usd.toFixed(6);
    const j = s.judge;
    $("stat-judge").textContent = j.mean_score !== undefined ? j.mean_score.toFixed(2) + " / 5" : "–";
    $("stat-judge-sub").textContent = j.judged + " judged, " + j.passed + " passed, " + j.dropped + " dropped";
    rows($("providers"), s.providers, (p) => [[p.name], [p.breaker, "breaker-" + p.breaker], [p.cooldown_s > 0 ? p.cooldown_s.toFixed(0) + " s" : "–"]]);
    rows($("models"), s.models, (m) => [[m.name], [m.loaded ? m.running : "loading"], [m.loaded ? m.waiting : ""], [m.loaded ? m.max_running : ""]]);
    if (last) { charts.rate.add(rate); charts.tps.add(tps); }
    charts.cost.add(s.cost_usd);
    $("updated").textContent = "updated " + new Date(s.now_ms).toLocaleTimeString();
    last = s;
  } catch (e) {
    $("updated").textContent = "stats unavailable: " + e;
  }
}

refreshModels();
poll();
setInterval(poll, 2000);
