// A task's timeline, live over server-sent events: each item says when, which service saw it and what, and an
// effect names its cause (blocked -> asked -> verdict -> first connection through). Text from the server goes in with
// textContent only (terokEl): domains, ref names and paths are the task's and stay text.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const section = document.getElementById("timeline");
  if (!section) return;
  const list = document.getElementById("timeline-items");
  const problems = document.getElementById("timeline-problems");
  const label = { BLOCKED: "blocked", PROMPT: "asked", VERDICT: "verdict", PASSED: "through",
    RELAYED: "relayed", PUSH: "push", FIREWALL: "firewall" };

  function time(iso) {
    const d = new Date(iso);
    return isNaN(d) ? iso : d.toLocaleTimeString([], { hour12: false }) + "." + String(d.getMilliseconds()).padStart(3, "0");
  }

  function render(snap) {
    problems.replaceChildren(...snap.problems.map((p) => terokEl("p", { class: "problem" }, p)));
    const stick = list.scrollTop + list.clientHeight >= list.scrollHeight - 4;
    const byId = new Map(snap.items.map((i) => [i.id, i]));
    list.replaceChildren();
    if (!snap.items.length) list.append(terokEl("li", { class: "empty" }, "nothing yet"));
    snap.items.forEach((i, n) => {
      const cls = ["k-" + i.kind];
      if (i.outcome) cls.push("o-" + i.outcome);
      if (i.causeId) cls.push("linked");
      const li = terokEl("li", { class: cls.join(" "), id: "tl-" + n, "data-kind": i.kind, "data-id": i.id });
      const what = terokEl("span", { class: "what" }, i.text);
      if (i.causeId && byId.has(i.causeId)) {
        const cause = byId.get(i.causeId);
        what.append(terokEl("span", { class: "cause", "data-cause-kind": cause.kind }, "after " + label[cause.kind]));
      }
      li.append(terokEl("span", { class: "time", title: i.time }, time(i.time)),
        terokEl("span", { class: "src" }, label[i.kind] || i.kind), what);
      list.append(li);
    });
    if (stick) list.scrollTop = list.scrollHeight;
  }

  const es = new EventSource(section.getAttribute("data-live"));
  es.onmessage = (ev) => render(JSON.parse(ev.data));
});
