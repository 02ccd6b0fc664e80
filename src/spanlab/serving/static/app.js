// spanlab's page: send the text and labels to /v1/extract, show the entities highlighted in the text.
// User text is only ever inserted with textContent (never as HTML).
"use strict";

const $ = (id) => document.getElementById(id);
const PALETTE = ["#ffd54f", "#81d4fa", "#a5d6a7", "#f48fb1", "#ce93d8", "#ffab91", "#80cbc4", "#e6ee9c"];
const colors = new Map();

function colorOf(label) {
  if (!colors.has(label)) colors.set(label, PALETTE[colors.size % PALETTE.length]);
  return colors.get(label);
}

function parseLabels(value) {
  return value.split(",").map((s) => s.trim()).filter((s) => s.length > 0);
}

function errorText(status, body) {
  // FastAPI: 422 → detail is a list of {loc, msg}; 413 → detail is a list of strings.
  const detail = body && body.detail;
  if (Array.isArray(detail)) {
    return detail.map((d) => (typeof d === "string" ? d : `${d.loc.slice(1).join(".")}: ${d.msg}`)).join("\n");
  }
  return `HTTP ${status}` + (detail ? `: ${detail}` : "");
}

function render(text, entities) {
  const result = $("result");
  result.replaceChildren();
  let at = 0;
  for (const e of entities) {  // sorted by start, never overlapping in flat mode
    result.append(document.createTextNode(text.slice(at, e.start)));
    const mark = document.createElement("mark");
    mark.className = "entity";
    mark.dataset.label = e.label;
    mark.dataset.score = e.score.toFixed(2);
    mark.title = `${e.label} (${e.score.toFixed(2)})`;
    mark.style.background = colorOf(e.label);
    mark.append(document.createTextNode(text.slice(e.start, e.end)));
    const tag = document.createElement("span");
    tag.className = "tag";
    tag.textContent = `${e.label} ${e.score.toFixed(2)}`;
    mark.append(tag);
    result.append(mark);
    at = e.end;
  }
  result.append(document.createTextNode(text.slice(at)));

  const body = $("entities").querySelector("tbody");
  body.replaceChildren();
  for (const e of entities) {
    const row = body.insertRow();
    for (const value of [e.text, e.label, e.score.toFixed(3), `${e.start}–${e.end}`]) {
      row.insertCell().textContent = value;
    }
  }
  $("entities").hidden = entities.length === 0;
}

async function extract() {
  const text = $("text").value;
  const labels = parseLabels($("labels").value);
  const status = $("status");
  status.className = "";
  if (!text.trim() || labels.length === 0) {
    status.textContent = "Enter a text and at least one entity type.";
    return;
  }
  status.textContent = "…";
  const started = performance.now();
  try {
    const response = await fetch("/v1/extract", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ texts: [text], labels, threshold: parseFloat($("threshold").value), flat: true }),
    });
    const body = await response.json().catch(() => null);
    if (!response.ok) {
      status.className = "error";
      status.textContent = errorText(response.status, body);
      return;
    }
    const entities = body.entities[0];
    render(text, entities);
    const ms = Math.round(performance.now() - started);
    status.textContent = `${entities.length} entit${entities.length === 1 ? "y" : "ies"} · ${ms} ms`;
  } catch (err) {
    status.className = "error";
    status.textContent = `Request failed: ${err}`;
  }
}

$("threshold").addEventListener("input", () => {
  $("threshold-value").textContent = parseFloat($("threshold").value).toFixed(2);
});
$("threshold").addEventListener("change", () => { if ($("text").value.trim()) extract(); });
$("extract").addEventListener("click", extract);
$("text").addEventListener("keydown", (e) => { if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) extract(); });
