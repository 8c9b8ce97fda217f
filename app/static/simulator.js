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
    if (!signed.ok) { showError(errorBox.dataset.badNumber); return; }
    const req = await signed.json();
    const resp = await fetch(req.path, {
      method: "POST",
      headers: {"X-Twilio-Signature": req.signature,
                "Content-Type": "application/x-www-form-urlencoded"},
      body: new URLSearchParams(req.params).toString(),
    });
    if (!resp.ok) { showError(errorBox.dataset.webhookFailed + " " + resp.status); }
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

// Call mode: places a simulated call. Each step is signed by /simulator/api/sign-voice and
// posted to the real voice webhook; the TwiML answer is shown as what the caller hears,
// and the keypad, speech box and card buttons follow its <Gather> or <Pay> action.
(function () {
  "use strict";
  const startButton = document.getElementById("call-start");
  if (!startButton) return;
  const heard = document.getElementById("call-heard");
  const keypad = document.getElementById("call-keypad");
  const payBox = document.getElementById("call-pay");
  const hangup = document.getElementById("call-hangup");
  const digitsInput = document.getElementById("call-digits");
  const speechInput = document.getElementById("call-speech");
  const fromInput = document.getElementById("sim-from");
  let callSid = "";
  let action = null;
  let payAction = null;

  function line(text, cls) {
    const li = document.createElement("li");
    li.className = "bubble " + cls;
    const p = document.createElement("p");
    p.textContent = text;
    li.appendChild(p);
    heard.appendChild(li);
    heard.scrollTop = heard.scrollHeight;
  }

  function show(xml) {
    const doc = new DOMParser().parseFromString(xml, "text/xml");
    const root = doc.documentElement;
    action = null; payAction = null;
    const spoken = [];
    for (const say of root.getElementsByTagName("Say")) {
      if (say.parentNode.nodeName === "Prompt") continue;
      spoken.push(say.textContent.replace(/\s+/g, " ").trim());
    }
    if (spoken.length) line(spoken.join(" "), "them");
    const gather = root.getElementsByTagName("Gather")[0];
    if (gather) action = gather.getAttribute("action");
    const pay = root.getElementsByTagName("Pay")[0];
    if (pay) { payAction = pay.getAttribute("action"); line("[card entry on the keypad]", "them"); }
    const dial = root.getElementsByTagName("Dial")[0];
    if (dial) line("[connecting to " + dial.textContent + "]", "them");
    const ended = root.getElementsByTagName("Hangup").length > 0 || (!action && !payAction);
    keypad.hidden = !action;
    payBox.hidden = !payAction;
    hangup.hidden = ended;
    startButton.hidden = !ended;
    if (ended) { line("[call ended]", "them"); callSid = ""; }
  }

  async function step(path, params, shown) {
    if (shown) line(shown, "me");
    const signed = await fetch("/simulator/api/sign-voice", {
      method: "POST", headers: {"Content-Type": "application/json"},
      body: JSON.stringify({path: path, from: fromInput.value.trim(), call_sid: callSid,
                            params: params}),
    });
    if (!signed.ok) { line("[check the phone number]", "them"); return; }
    const req = await signed.json();
    callSid = req.params.CallSid;
    const resp = await fetch(req.path, {
      method: "POST",
      headers: {"X-Twilio-Signature": req.signature,
                "Content-Type": "application/x-www-form-urlencoded"},
      body: new URLSearchParams(req.params).toString(),
    });
    if (!resp.ok) { line("[the webhook answered " + resp.status + "]", "them"); return; }
    show(await resp.text());
  }

  startButton.addEventListener("click", function () {
    heard.replaceChildren(); callSid = "";
    step("/twilio/voice", {}, "");
  });
  for (const key of keypad.querySelectorAll(".key")) {
    key.addEventListener("click", function () {
      if (action) step(action, {Digits: key.dataset.key}, key.dataset.key);
    });
  }
  document.getElementById("call-send-keys").addEventListener("click", function () {
    if (action && digitsInput.value) step(action, {Digits: digitsInput.value}, digitsInput.value);
    digitsInput.value = "";
  });
  document.getElementById("call-say").addEventListener("click", function () {
    const said = speechInput.value.trim();
    if (action && said) step(action, {SpeechResult: said}, "“" + said + "”");
    speechInput.value = "";
  });
  document.getElementById("call-silence").addEventListener("click", function () {
    if (action) step(action, {}, "…");
  });
  document.getElementById("call-pay-ok").addEventListener("click", function () {
    if (payAction) step(payAction, {Result: "success", PaymentToken: "pm_card_visa",
                                    ProfileId: "cus_simulator"}, "[card 4242]");
  });
  document.getElementById("call-pay-fail").addEventListener("click", function () {
    if (payAction) step(payAction, {Result: "payment-connector-error",
                                    PaymentError: "card_declined"}, "[card declined]");
  });
  hangup.addEventListener("click", function () {
    line("[you hung up]", "me"); callSid = ""; action = null;
    keypad.hidden = true; payBox.hidden = true; hangup.hidden = true; startButton.hidden = false;
  });
})();
