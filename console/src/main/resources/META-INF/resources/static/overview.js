// The overview kept live: the server sends the whole overview (projects, tasks, states) whenever it changes, as
// server-sent events; the tables are rebuilt from it with textContent only.
"use strict";

function renderOverview(ov) {
  const problems = document.getElementById("problems");
  problems.replaceChildren(...ov.problems.map((p) => terokEl("p", { class: "problem" }, p)));
  problems.hidden = ov.problems.length === 0;
  const root = document.getElementById("projects");
  const articles = ov.projects.map((p) => {
    const a = terokEl("article", { class: "project", "data-project": p.name });
    const h = terokEl("h2", {}, p.name);
    if (!p.known) h.append(" ", terokEl("span", { class: "note" }, "(project file gone)"));
    a.append(h);
    if (p.known) a.append(terokEl("p", { class: "meta" }, p.upstream + " · " + p.defaultBranch + " · agents: " + p.agents.join(", ") + " · security " + p.security));
    const table = terokEl("table", { class: "tasks" });
    const head = terokEl("tr");
    for (const c of ["Task", "State", "Agent", "Branch", "Started", "Commits", "Mode"]) head.append(terokEl("th", {}, c));
    table.append(terokEl("thead")).firstChild.append(head);
    const body = terokEl("tbody");
    for (const t of p.tasks) {
      const tr = terokEl("tr", { "data-task": t.id });
      const name = terokEl("td");
      name.append(terokEl("a", { href: "/tasks/" + encodeURIComponent(t.project) + "/" + encodeURIComponent(t.id) }, t.name));
      const state = terokEl("td");
      state.append(terokEl("span", { class: "state state-" + t.state }, t.stateLabel));
      if (t.pendingPrompts > 0) state.append(" ", terokEl("span", { class: "pending" }, t.pendingPrompts + " prompt(s)"));
      // An online task's row says why there is no Forward for it (the same words as its review page).
      const mode = terokEl("td", t.forwardRefusal ? { class: "mode", title: t.forwardRefusal } : { class: "mode" }, t.mode);
      tr.append(name, state, terokEl("td", {}, t.agent), terokEl("td", { class: "branch" }, t.branch),
        terokEl("td", { class: "time" }, t.createdAt), terokEl("td", {}, t.commits), mode);
      body.append(tr);
    }
    if (p.tasks.length === 0) {
      const tr = terokEl("tr", { class: "empty" });
      tr.append(terokEl("td", { colspan: "7" }, "no tasks yet"));
      body.append(tr);
    }
    table.append(body);
    a.append(table);
    return a;
  });
  root.replaceChildren(...articles);
}

document.addEventListener("DOMContentLoaded", () => {
  const root = document.getElementById("projects");
  if (!root) return;
  const es = new EventSource(root.getAttribute("data-live"));
  es.onmessage = (ev) => renderOverview(JSON.parse(ev.data));
  const start = document.getElementById("start-form");
  if (start) start.addEventListener("terok:done", (ev) => {
    const d = ev.detail;
    window.location.assign("/tasks/" + encodeURIComponent(d.project) + "/" + encodeURIComponent(d.name));
  });
});
