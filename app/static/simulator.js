// Phone simulator: signs a Twilio-shaped request via /simulator/api/sign, posts it to the
// real SMS webhook, and shows the conversation as recorded by the service.
(function () {
  "use strict";
  const thread = document.getElementById("sim-thread");
  const form = document.getElementById("sim-form");
  const bodyInput = document.getElementById("sim-body");
  const fromInput = document.getElementById("sim-from");
  const errorBox = document.getElementById("sim-error");
  let lastRendered = "";

  function phone() { return fromInput.value.trim(); }

  function linkify(text) {
    const frag = document.createDocumentFragment();
    const parts = text.split(/(https?:\/\/\S+)/g);
    for (const part of parts) {
      if (/^https?:\/\//.test(part)) {
        const a = document.createElement("a");
        a.href = part; a.textContent = part; a.target = "_blank"; a.rel = "noopener";
        frag.appendChild(a);
      } else if (part) {
        frag.appendChild(document.createTextNode(part));
      }
    }
    return frag;
  }

  function render(messages) {
    const key = JSON.stringify(messages);
    if (key === lastRendered) return;
    lastRendered = key;
    thread.replaceChildren();
    for (const m of messages) {
      const li = document.createElement("li");
      li.className = "bubble " + (m.direction === "in" ? "me" : "them");
      if (m.understood === false) li.classList.add("not-understood");
      li.dataset.direction = m.direction;
      const p = document.createElement("p");
      p.appendChild(linkify(m.body));
      li.appendChild(p);
      const meta = document.createElement("span");
      meta.className = "meta";
      meta.textContent = m.at + (m.status ? " · " + m.status : "");
      li.appendChild(meta);
      thread.appendChild(li);
    }
    thread.scrollTop = thread.scrollHeight;
  }

  async function refresh() {
    if (!phone()) return;
    try {
      const r = await fetch("/simulator/api/thread?phone=" + encodeURIComponent(phone()));
      if (r.ok) render((await r.json()).messages);
    } catch (e) { /* the server may be restarting; try again on the next tick */ }
  }

  function showError(text) {
    errorBox.textContent = text; errorBox.hidden = !text;
  }

  form.addEventListener("submit", async function (ev) {
    ev.preventDefault();
    const body = bodyInput.value;
    if (!body.trim()) return;
    showError("");
    const signed = await fetch("/simulator/api/sign", {
      method: "POST", headers: {"Content-Type": "application/json"},
      body: JSON.stringify({from: phone(), body: body}),
    });
    if (!signed.ok) { showError("Check the phone number, e.g. +358401234567"); return; }
    const req = await signed.json();
    const resp = await fetch(req.path, {
      method: "POST",
      headers: {"X-Twilio-Signature": req.signature,
                "Content-Type": "application/x-www-form-urlencoded"},
      body: new URLSearchParams(req.params).toString(),
    });
    if (!resp.ok) { showError("The webhook answered " + resp.status); }
    bodyInput.value = "";
    await refresh();
  });

  bodyInput.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter" && !ev.shiftKey) { ev.preventDefault(); form.requestSubmit(); }
  });
  fromInput.addEventListener("change", function () { lastRendered = ""; refresh(); });
  refresh();
  setInterval(refresh, 2000);
})();
