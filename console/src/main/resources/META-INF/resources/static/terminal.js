// The task's terminal: xterm.js (served from its WebJar) over a WebSocket to the console, which bridges it to a shell
// in the task on a TTY (runtime's Attach, as `terok login`). Keystrokes go out raw as binary frames; the shell's bytes
// come back as binary frames and are handed to xterm.write(), which interprets them as a terminal would and draws them
// on its canvas: they never become markup. Text frames are the console's control messages (JSON).
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const section = document.getElementById("terminal");
  if (!section) return;
  const open = document.getElementById("terminal-open");
  const screen = document.getElementById("terminal-screen");
  const bar = document.getElementById("terminal-bar");
  const status = document.getElementById("terminal-status");
  const encoder = new TextEncoder();
  let ws = null;
  let term = null;
  let fit = null;

  function say(text) { status.textContent = text; }

  function send(data) {
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(data);
  }

  function control(msg) {
    let m;
    try { m = JSON.parse(msg); } catch (e) { return; }
    if (m.ready) { say("connected: a shell in the task"); section.classList.add("open"); term.focus(); }
    if (m.end) {
      const how = m.end.detached ? "detached: the shell keeps running in the task" : "the shell ended, exit " + Number(m.end.exitCode);
      say(how);
      section.setAttribute("data-exit", m.end.detached ? "detached" : String(Number(m.end.exitCode)));
    }
    if (m.error) say("terok: " + String(m.error));
  }

  open.addEventListener("click", () => {
    if (ws) return;
    screen.hidden = false;
    bar.hidden = false;
    open.hidden = true;
    section.removeAttribute("data-exit");
    if (!term) {
      term = new Terminal({ cursorBlink: true, scrollback: 5000, fontFamily: "monospace", fontSize: 14 });
      fit = new FitAddon.FitAddon();
      term.loadAddon(fit);
      term.open(screen);
      // Keys as the task's terminal expects them: UTF-8 text, and onBinary's bytes (some mouse reports) as they are.
      term.onData((d) => send(encoder.encode(d)));
      term.onBinary((d) => send(Uint8Array.from(d, (c) => c.charCodeAt(0) & 0xff)));
      term.onResize((s) => send(JSON.stringify({ resize: { cols: s.cols, rows: s.rows } })));
      new ResizeObserver(() => { if (!screen.hidden) fit.fit(); }).observe(screen);
      // The test reads what the terminal shows through xterm's buffer (the canvas has no text to read).
      window.terokTerminal = term;
    } else {
      term.reset();
    }
    fit.fit();
    const url = new URL(section.getAttribute("data-socket"), window.location.href);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    url.searchParams.set("csrf", terokCsrf());
    say("connecting...");
    ws = new WebSocket(url);
    ws.binaryType = "arraybuffer";
    ws.onopen = () => send(JSON.stringify({ start: { cols: term.cols, rows: term.rows } }));
    ws.onmessage = (ev) => {
      if (typeof ev.data === "string") control(ev.data);
      else term.write(new Uint8Array(ev.data));
    };
    ws.onclose = () => {
      if (!section.hasAttribute("data-exit")) say(status.textContent.startsWith("terok:") ? status.textContent : "closed");
      section.classList.remove("open");
      ws = null;
      open.hidden = false;
      open.textContent = "Open a new shell";
    };
  });
  document.getElementById("terminal-detach").addEventListener("click", () => send(JSON.stringify({ detach: true })));
  document.getElementById("terminal-close").addEventListener("click", () => { if (ws) ws.close(); });
});
