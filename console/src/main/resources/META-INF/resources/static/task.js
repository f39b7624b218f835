// A task's page: the agent's output streamed in over server-sent events. Lines go in as text nodes only, so
// whatever the agent printed (markup, script, escape sequences: the server shows those visibly) stays text.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const out = document.getElementById("output");
  if (!out) return;
  const es = new EventSource(out.getAttribute("data-live"));
  es.onmessage = (ev) => {
    const line = JSON.parse(ev.data);
    if (line.kind === "end") { es.close(); return; }
    const stick = out.scrollTop + out.clientHeight >= out.scrollHeight - 4;
    const span = terokEl("span", { class: "line " + line.kind }, line.text + "\n");
    out.append(span);
    if (line.kind === "summary") {
      const state = document.getElementById("task-state");
      if (state) state.textContent = line.text;
    }
    if (stick) out.scrollTop = out.scrollHeight;
  };
  es.onerror = () => {
    if (es.readyState === EventSource.CLOSED) return;
  };
});
