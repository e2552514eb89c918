/* AI Mass chat widget: plain JS, no build step. Talks to the service's /v1 API.
   Settings come from the page URL (?key=&lang=&user=&api=) or the #key= fragment. */
(function () {
  "use strict";
  var TEXT = {
    en: {
      title: "Customer service", person: "Talk to a person", placeholder: "Type your question",
      send: "Send", hello: "Hi! How can I help you?", helpful: "Helpful", unhelpful: "Not helpful",
      handoff: "A person will join this conversation shortly.", error: "Sorry, something went wrong. Please try again.",
      thanks: "Thanks for the feedback."
    },
    zh: {
      title: "在线客服", person: "转人工", placeholder: "请输入您的问题", send: "发送",
      hello: "您好！请问有什么可以帮您？", helpful: "有帮助", unhelpful: "没帮助",
      handoff: "已为您转接人工客服，请稍候。", error: "抱歉，出错了，请稍后再试。", thanks: "感谢您的反馈。"
    }
  };
  var params = new URLSearchParams(location.search);
  var hash = new URLSearchParams(location.hash.replace(/^#/, ""));
  var key = params.get("key") || hash.get("key") || "";
  var api = (params.get("api") || "").replace(/\/$/, "");
  var lang = pickLanguage(params.get("lang") || document.documentElement.getAttribute("lang"));
  document.documentElement.setAttribute("lang", lang === "zh" ? "zh-CN" : "en");
  var t = TEXT[lang];

  var sessionId = stored(sessionStorage, "aimass.session", randomId);
  var userId = params.get("user") || stored(localStorage, "aimass.user", randomId);

  var log = document.querySelector("[data-testid=log]");
  var form = document.querySelector("[data-testid=form]");
  var input = document.querySelector("[data-testid=input]");
  var send = document.querySelector("[data-testid=send]");

  document.querySelectorAll("[data-i18n]").forEach(function (el) { el.textContent = t[el.getAttribute("data-i18n")]; });
  document.querySelectorAll("[data-i18n-placeholder]").forEach(function (el) { el.placeholder = t[el.getAttribute("data-i18n-placeholder")]; });
  system(t.hello);

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var text = input.value.trim();
    if (!text) { return; }
    input.value = "";
    ask(text);
  });
  document.querySelector("[data-testid=handoff]").addEventListener("click", function () {
    call("POST", "/v1/handoffs", { session_id: sessionId, user_id: userId, reason: "customer asked for a person" })
      .then(function () { system(t.handoff, "handoff-requested"); waitForAgent(); })
      .catch(function () { system(t.error); });
  });

  var lastAgentMessage = 0;
  var polling = null;
  function waitForAgent() {
    // after a hand-off, show what the human agent writes (polled; plain HTTP, no websocket)
    if (polling) { return; }
    var every = Number(params.get("poll")) || 3000;
    var inFlight = false;
    polling = setInterval(function () {
      if (inFlight) { return; }  // never two polls at once: each message is shown once
      inFlight = true;
      call("GET", "/v1/sessions/" + encodeURIComponent(sessionId) + "/agent-messages?after=" + lastAgentMessage)
        .then(function (list) {
          list.forEach(function (m) {
            if (m.id <= lastAgentMessage) { return; }
            lastAgentMessage = m.id;
            var li = item("am-agent", "agent-message");
            li.firstChild.textContent = m.text;
          });
          if (list.length) { scroll(); }
        })
        .catch(function () { /* try again at the next tick */ })
        .then(function () { inFlight = false; });
    }, every);
  }

  function pickLanguage(hint) {
    var h = (hint || navigator.language || "en").toLowerCase();
    return h.indexOf("zh") === 0 ? "zh" : "en";
  }
  function randomId() {
    var a = new Uint8Array(12);
    (window.crypto || window.msCrypto).getRandomValues(a);
    return Array.prototype.map.call(a, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  function stored(store, name, make) {
    try {
      var v = store.getItem(name);
      if (!v) { v = make(); store.setItem(name, v); }
      return v;
    } catch (e) { return make(); }
  }
  function call(method, path, body) {
    var headers = { "Content-Type": "application/json" };
    if (key) { headers.Authorization = "Bearer " + key; }
    return fetch(api + path, { method: method, headers: headers, body: body ? JSON.stringify(body) : undefined })
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (data) {
          if (!r.ok) { var err = new Error(data.message || r.statusText); err.code = data.code; throw err; }
          return data;
        });
      });
  }
  function item(cls, testid) {
    var li = document.createElement("li");
    li.className = "am-msg " + cls;
    if (testid) { li.setAttribute("data-testid", testid); }
    var bubble = document.createElement("div");
    bubble.className = "am-bubble";
    li.appendChild(bubble);
    log.appendChild(li);
    return li;
  }
  function scroll() { log.scrollTop = log.scrollHeight; }
  function system(text, testid) {
    var li = item("am-system", testid || "system");
    li.firstChild.textContent = text;
    scroll();
  }
  function ask(text) {
    var li = item("am-user", "user-message");
    li.firstChild.textContent = text;
    scroll();
    send.disabled = true;
    call("POST", "/v1/turns", { message: text, session_id: sessionId, user_id: userId, language: lang })
      .then(reply)
      .catch(function () { system(t.error, "error"); })
      .then(function () { send.disabled = false; input.focus(); });
  }
  function reply(out) {
    var li = item("am-bot", "bot-message");
    li.setAttribute("data-turn-id", out.turn_id);
    li.setAttribute("data-kind", out.decision.kind);
    li.firstChild.textContent = out.reply;
    if (out.decision.kind === "clarify" && out.decision.options && out.decision.options.length) {
      var box = document.createElement("div");
      box.className = "am-options";
      out.decision.options.forEach(function (opt) {
        var b = document.createElement("button");
        b.type = "button";
        b.className = "am-option";
        b.setAttribute("data-testid", "option");
        b.textContent = opt;
        b.addEventListener("click", function () { ask(opt); });
        box.appendChild(b);
      });
      li.appendChild(box);
    }
    var thumbs = document.createElement("div");
    thumbs.className = "am-thumbs";
    [["up", "👍", t.helpful], ["down", "👎", t.unhelpful]].forEach(function (spec) {
      // a word beside the symbol: readable even where no emoji font is installed
      var b = document.createElement("button");
      b.type = "button";
      b.className = "am-thumb";
      b.setAttribute("data-testid", "thumb-" + spec[0]);
      b.setAttribute("aria-pressed", "false");
      b.title = spec[2];
      b.setAttribute("aria-label", spec[2]);
      b.textContent = spec[1] + " " + spec[2];
      b.addEventListener("click", function () {
        call("POST", "/v1/feedback", { turn_id: out.turn_id, kind: "thumbs", value: spec[0] })
          .then(function () {
            thumbs.querySelectorAll("button").forEach(function (x) { x.setAttribute("aria-pressed", "false"); });
            b.setAttribute("aria-pressed", "true");
          })
          .catch(function () { system(t.error, "error"); });
      });
      thumbs.appendChild(b);
    });
    li.appendChild(thumbs);
    if (out.decision.kind === "handoff") { system(t.handoff, "handoff-requested"); waitForAgent(); }
    scroll();
  }
})();
