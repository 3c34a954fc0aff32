// The web UI's script. Without it every form still works (plain posts); with it, forms are
// posted in the background, the answer is shown above the status, and the status is
// long-polled and swapped in when it changes, keeping what was being typed.
"use strict";

(() => {
  const statusBox = document.getElementById("status");
  const messageBox = document.getElementById("message");
  const scripted = { "X-Requested-With": "fetch" };
  const asking = new Set(["need_password", "need_mfa"]);

  const section = () => statusBox.querySelector("section");
  let known = section()?.dataset.version ?? "";
  let shownHtml = null;

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  const withoutVersion = (html) => html.replace(/ data-version="\d+"/, "");

  function focusFirstField() {
    const active = document.activeElement;
    if (active && active !== document.body && statusBox.contains(active)) return;
    statusBox.querySelector("input:not([type=hidden])")?.focus();
  }

  // Shows the status fragment `html` unless it says nothing new.
  function show(html) {
    const template = document.createElement("template");
    template.innerHTML = html;
    const incoming = template.content.querySelector("section");
    if (!incoming) return;
    known = incoming.dataset.version;
    const current = section();
    const sameStatus = current?.dataset.status === incoming.dataset.status;
    const content = withoutVersion(html);
    if (sameStatus && (content === shownHtml || shownHtml === null && current.dataset.version === known)) {
      shownHtml = content;
      return;
    }
    shownHtml = content;
    // Keep what was typed when the same form comes back with news (an SMS was sent...).
    const typed = new Map();
    if (sameStatus) {
      for (const input of statusBox.querySelectorAll("input:not([type=hidden])")) {
        const focused = input === document.activeElement;
        typed.set(input.name, { value: input.value, focused, start: input.selectionStart, end: input.selectionEnd });
      }
    }
    statusBox.replaceChildren(template.content);
    for (const input of statusBox.querySelectorAll("input:not([type=hidden])")) {
      const before = typed.get(input.name);
      if (!before) continue;
      input.value = before.value;
      if (before.focused) {
        input.focus();
        try { input.setSelectionRange(before.start, before.end); } catch { /* not a text field */ }
      }
    }
    if (!sameStatus && asking.has(incoming.dataset.status)) messageBox.replaceChildren();
    focusFirstField();
  }

  function setOffline(offline) {
    let banner = document.getElementById("offline");
    if (!offline) {
      banner?.remove();
      return;
    }
    if (banner) return;
    banner = document.createElement("p");
    banner.id = "offline";
    banner.className = "error";
    banner.setAttribute("role", "alert");
    banner.textContent = "icloudpd cannot be reached (it may have finished). Retrying...";
    statusBox.before(banner);
  }

  async function fetchStatus(after) {
    const query = after === undefined ? "" : `?after=${encodeURIComponent(after)}`;
    const response = await fetch(`/status${query}`, { headers: scripted, cache: "no-store" });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    show(await response.text());
    setOffline(false);
  }

  async function poll() {
    for (;;) {
      try {
        await fetchStatus(known);
        await sleep(300);
      } catch {
        setOffline(true);
        await sleep(3000);
      }
    }
  }

  document.addEventListener("submit", async (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    event.preventDefault();
    const buttons = form.querySelectorAll("button");
    for (const b of buttons) b.disabled = true;
    try {
      const response = await fetch(form.action, {
        method: "POST",
        headers: scripted,
        body: new URLSearchParams(new FormData(form)),
      });
      // The server escapes everything it puts in this fragment.
      messageBox.innerHTML = await response.text();
      if (response.ok) {
        for (const secret of form.querySelectorAll("input[type=password]")) secret.value = "";
      }
    } catch (error) {
      const p = document.createElement("p");
      p.className = "message refused";
      p.textContent = `icloudpd cannot be reached: ${error.message}`;
      messageBox.replaceChildren(p);
    } finally {
      for (const b of buttons) b.disabled = false;
    }
    fetchStatus().catch(() => setOffline(true));
  });

  // "Next run in H:MM:SS" counts down between updates.
  setInterval(() => {
    for (const el of document.querySelectorAll("[data-countdown]")) {
      const left = Math.max(0, Number(el.dataset.countdown) - 1);
      el.dataset.countdown = String(left);
      const h = Math.floor(left / 3600);
      const m = String(Math.floor(left / 60) % 60).padStart(2, "0");
      const s = String(left % 60).padStart(2, "0");
      el.textContent = `${h}:${m}:${s}`;
    }
  }, 1000);

  focusFirstField();
  poll();
})();
