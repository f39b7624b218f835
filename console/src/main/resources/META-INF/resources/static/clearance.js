// Pending clearance requests of every task, live over server-sent events, with Allow and Deny. Everything a task
// could influence (its name, the domain it looked up) goes into the page with textContent only (terokEl).
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const section = document.getElementById("clearance");
  if (!section) return;
  const rows = document.getElementById("clearance-rows");
  const count = document.getElementById("clearance-count");
  const result = document.getElementById("clearance-result");

  async function answer(prompt, decision, row) {
    row.querySelectorAll("button").forEach((b) => { b.disabled = true; });
    try {
      const r = await terokApi("POST", "/api/clearance/verdict", { requestId: prompt.id, decision });
      result.classList.remove("error");
      result.textContent = (decision === "allow" ? "Allowed " : "Denied ") + prompt.target + ": " + r.message;
    } catch (e) {
      result.classList.add("error");
      result.textContent = e.message;
      row.querySelectorAll("button").forEach((b) => { b.disabled = false; });
    }
  }

  function render(list) {
    rows.replaceChildren();
    count.textContent = list.length ? "(" + list.length + ")" : "";
    section.classList.toggle("waiting", list.length > 0);
    if (!list.length) {
      rows.append(terokEl("tr", { class: "empty" }));
      rows.lastChild.append(terokEl("td", { colspan: "6" }, "no blocked connection is waiting"));
      return;
    }
    for (const p of list) {
      const tr = terokEl("tr", { class: "prompt", "data-request": p.id, "data-task": p.taskId });
      const task = terokEl("td");
      const link = terokEl("a", { href: "/tasks/" + encodeURIComponent(p.project) + "/" + encodeURIComponent(p.taskId) },
        p.taskName || p.taskId.substring(0, 12));
      task.append(link, terokEl("span", { class: "meta" }, " " + p.project));
      const buttons = terokEl("td", { class: "actions" });
      const allow = terokEl("button", { type: "button", class: "allow" }, "Allow");
      const deny = terokEl("button", { type: "button", class: "deny" }, "Deny");
      allow.addEventListener("click", () => answer(p, "allow", tr));
      deny.addEventListener("click", () => answer(p, "deny", tr));
      buttons.append(allow, deny);
      tr.append(task, terokEl("td", { class: "target" }, p.target), terokEl("td", { class: "domain" }, p.domain),
        terokEl("td", {}, p.count), terokEl("td", { class: "time" }, p.firstSeen), buttons);
      rows.append(tr);
    }
  }

  const es = new EventSource(section.getAttribute("data-live"));
  es.onmessage = (ev) => render(JSON.parse(ev.data));
});
