// The task's terminal: a line terminal over a WebSocket to the console, which bridges it to a shell in the task.
// The shell's bytes go into the page as text (textContent) with terminal escape sequences dropped, so nothing the
// task writes can become markup or move anything.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const section = document.getElementById("terminal");
  if (!section) return;
  const open = document.getElementById("terminal-open");
  const screen = document.getElementById("terminal-screen");
  const form = document.getElementById("terminal-form");
  const line = document.getElementById("terminal-line");
  let ws = null;
  // CSI and OSC sequences, and other escapes: dropped; other control characters but newline and tab shown as "?"
  const ESC = /\x1b\[[0-?]*[ -\/]*[@-~]|\x1b\][^\x07\x1b]*(\x07|\x1b\\)|\x1b[@-_]/g;

  function show(text) {
    const clean = text.replace(ESC, "").replace(/\r\n/g, "\n").replace(/[\x00-\x08\x0b-\x1f\x7f]/g, "?");
    const stick = screen.scrollTop + screen.clientHeight >= screen.scrollHeight - 4;
    screen.append(document.createTextNode(clean));
    if (stick) screen.scrollTop = screen.scrollHeight;
  }

  open.addEventListener("click", () => {
    if (ws) return;
    const url = new URL(section.getAttribute("data-socket"), window.location.href);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    url.searchParams.set("csrf", terokCsrf());
    ws = new WebSocket(url);
    screen.hidden = false;
    form.hidden = false;
    open.hidden = true;
    ws.onopen = () => { section.classList.add("open"); line.focus(); };
    ws.onmessage = (ev) => show(String(ev.data));
    ws.onclose = () => { show("\n[closed]\n"); section.classList.remove("open"); ws = null; form.hidden = true; open.hidden = false; };
  });
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    if (!ws || ws.readyState !== WebSocket.OPEN) return;
    show("$ " + line.value + "\n");
    ws.send(line.value + "\n");
    line.value = "";
  });
  document.getElementById("terminal-close").addEventListener("click", () => { if (ws) ws.close(); });
});
