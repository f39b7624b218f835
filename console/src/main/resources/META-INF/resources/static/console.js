// The console's shared script (a static file: the Content-Security-Policy allows no inline script).
// Every change goes through terokApi(), which sends the session's CSRF token in the X-CSRF-Token header; forms
// marked data-api="/path" are sent that way instead of by the browser. Text from the server is only ever put into
// the page with textContent, never innerHTML: what an agent wrote stays text.
"use strict";

function terokCsrf() {
  const m = document.querySelector('meta[name="csrf-token"]');
  return m ? m.getAttribute("content") : "";
}

async function terokApi(method, path, body) {
  const headers = { "X-CSRF-Token": terokCsrf(), "Accept": "application/json" };
  const init = { method, headers, credentials: "same-origin" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (e) { data = { error: text }; }
  if (!res.ok) {
    const msg = data && data.error ? data.error : (res.status + " " + res.statusText);
    throw new Error(msg);
  }
  return data;
}

function terokFormData(form) {
  const out = {};
  for (const [k, v] of new FormData(form).entries()) {
    if (v !== "") out[k] = v;
  }
  return out;
}

function terokEl(tag, attrs, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}

document.addEventListener("submit", async (ev) => {
  const form = ev.target;
  const path = form.getAttribute("data-api");
  if (!path) return;
  ev.preventDefault();
  const out = form.querySelector("output.result");
  if (form.hasAttribute("data-confirm") && !window.confirm(form.getAttribute("data-confirm"))) return;
  try {
    const data = await terokApi(form.getAttribute("data-method") || "POST", path, terokFormData(form));
    if (out) out.textContent = data && data.message ? data.message : "done";
    form.dispatchEvent(new CustomEvent("terok:done", { detail: data, bubbles: true }));
    const then = form.getAttribute("data-then");
    if (then) window.location.assign(then);
    else if (then === "") window.location.reload();
  } catch (e) {
    if (out) { out.textContent = e.message; out.classList.add("error"); }
    else window.alert(e.message);
  }
});

// The panic button: a first request only fetches a confirmation code; the operator confirms; a second request
// with the code engages the panic.
document.addEventListener("DOMContentLoaded", () => {
  const button = document.getElementById("panic");
  if (!button) return;
  button.addEventListener("click", async () => {
    const headers = { "X-CSRF-Token": terokCsrf(), "Content-Type": "application/json", "Accept": "application/json" };
    try {
      const ask = await fetch("/api/panic", { method: "POST", headers, body: "{}", credentials: "same-origin" });
      const first = await ask.json();
      if (ask.status !== 409 || !first.confirm) throw new Error(first.error || "the console did not offer a confirmation");
      if (!window.confirm(first.message + "?")) return;
      const res = await fetch("/api/panic", { method: "POST", headers, body: JSON.stringify({ confirm: first.confirm }), credentials: "same-origin" });
      const done = await res.json();
      window.alert(res.ok ? done.message : (done.error || res.status));
    } catch (e) {
      window.alert(e.message);
    }
  });
});
