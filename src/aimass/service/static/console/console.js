/* AI Mass admin console: plain JS over the /v1 API with an admin (or agent) key.
   Every value from the server is written with textContent, never as HTML. */
(function () {
  "use strict";
  var hash = new URLSearchParams(location.hash.replace(/^#/, "").indexOf("key=") === 0 ? location.hash.slice(1) : "");
  var key = hash.get("key") || sessionStorage.getItem("aimass.console.key") || "";
  if (hash.get("key")) { sessionStorage.setItem("aimass.console.key", key); history.replaceState(null, "", location.pathname + "#dashboard"); }
  var $ = function (sel, root) { return (root || document).querySelector(sel); };
  var status = $("#status");
  $("#key").value = key;
  $("#keyform").addEventListener("submit", function (ev) {
    ev.preventDefault();
    key = $("#key").value.trim();
    sessionStorage.setItem("aimass.console.key", key);
    show(current());
  });

  function call(method, path, body) {
    var headers = { "Content-Type": "application/json" };
    if (key) { headers.Authorization = "Bearer " + key; }
    return fetch(path, { method: method, headers: headers, body: body ? JSON.stringify(body) : undefined })
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (data) {
          if (!r.ok) { throw new Error((data.code || r.status) + ": " + (data.message || r.statusText)); }
          return data;
        });
      });
  }
  function fail(err) { status.textContent = String(err.message || err); }
  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    if (cls) { e.className = cls; }
    return e;
  }
  function row(cells) {
    var tr = document.createElement("tr");
    cells.forEach(function (c) {
      var td = document.createElement("td");
      if (c instanceof Node) { td.appendChild(c); } else { td.textContent = c === null || c === undefined ? "" : String(c); }
      tr.appendChild(td);
    });
    return tr;
  }
  var loadSeq = 0;  // only the newest load of a tab may fill it (responses can arrive out of order)
  function fill(table, rows, seq) {
    if (seq !== undefined && seq !== loadSeq) { return; }
    var body = $("tbody", table);
    body.textContent = "";
    rows.forEach(function (r) { body.appendChild(r); });
  }
  function pct(x) { return (100 * x).toFixed(1) + "%"; }
  function when(s) { return s ? s.replace("T", " ").slice(0, 19) : ""; }

  var loaders = {
    dashboard: function () {
      return call("GET", "/v1/admin/stats").then(function (s) {
        var cards = $("[data-testid=cards]");
        cards.textContent = "";
        [["conversations", s.conversations], ["turns", s.turns], ["containment", pct(s.containment)],
         ["hand-off rate", pct(s.handoff_rate)], ["out of scope", pct(s.out_of_scope_rate)],
         ["👍 / 👎", s.feedback.up + " / " + s.feedback.down], ["waiting hand-offs", s.handoffs_waiting],
         ["to label", s.review_open], ["model", s.model_version]].forEach(function (c) {
          var d = el("div", null, "card");
          d.appendChild(el("b", c[1]));
          d.appendChild(el("span", c[0]));
          cards.appendChild(d);
        });
        fill($("[data-testid=top-intents]"), s.top_intents.map(function (t) { return row([t.name, t.count]); }));
        fill($("[data-testid=decisions]"), Object.keys(s.decisions).map(function (k) { return row([k, s.decisions[k]]); }));
      });
    },
    conversations: function () {
      var seq = loadSeq;
      return call("GET", "/v1/conversations?limit=100").then(function (list) {
        fill($("[data-testid=conversation-list]"), list.map(function (c) {
          var tr = row([c.id, c.user_id, c.turns, c.status, when(c.updated_at)]);
          tr.className = "clickable";
          tr.setAttribute("data-testid", "conversation-row");
          tr.addEventListener("click", function () { openConversation(c.id); });
          return tr;
        }), seq);
      });
    },
    handoffs: function () {
      var st = $("#handoff-status").value;
      var seq = loadSeq;
      return call("GET", "/v1/handoffs" + (st ? "?status=" + st : "")).then(function (list) {
        fill($("[data-testid=handoff-list]"), list.map(function (h) {
          var actions = el("span");
          if (h.status === "waiting") { actions.appendChild(button("Claim", function () { return call("POST", "/v1/handoffs/" + h.id + "/claim"); })); }
          if (h.status !== "resolved") {
            actions.appendChild(button("Resolve", function () {
              var outcome = prompt("Outcome", "resolved") || "resolved";
              return call("POST", "/v1/handoffs/" + h.id + "/resolve", { outcome: outcome });
            }));
          }
          var link = el("a", h.conversation_id);
          link.href = "#conversations";
          link.addEventListener("click", function () { setTimeout(function () { openConversation(h.conversation_id); }, 0); });
          var tr = row([h.id, link, h.user_id, h.reason, h.status + (h.claimed_by ? " (" + h.claimed_by + ")" : ""), actions]);
          tr.setAttribute("data-testid", "handoff-row");
          return tr;
        }), seq);
      });
    },
    review: function () {
      var seq = loadSeq;
      return call("GET", "/v1/review").then(function (list) {
        fill($("[data-testid=review-list]"), list.map(function (r) {
          var input = el("input");
          input.value = r.intent || "";
          var tr = row([r.text, r.intent, r.confidence === null ? "" : r.confidence.toFixed(2), input,
            button("Label", function () { return call("POST", "/v1/review/" + r.id + "/label", { intent: input.value.trim() || null }); })]);
          tr.setAttribute("data-testid", "review-row");
          return tr;
        }), seq);
      });
    },
    faqs: function () {
      return call("GET", "/v1/admin/faqs").then(function (list) {
        fill($("[data-testid=faq-list]"), list.map(function (f) {
          var tr = row([f.id, f.questions[0] || ""]);
          tr.className = "clickable";
          tr.addEventListener("click", function () { editFaq(f); });
          return tr;
        }));
      });
    },
    kb: function () {
      return call("GET", "/v1/admin/kb").then(function (list) {
        fill($("[data-testid=kb-list]"), list.map(function (d) {
          var tr = row([d.id, d.title]);
          tr.className = "clickable";
          tr.addEventListener("click", function () { editKb(d); });
          return tr;
        }));
      });
    }
  };

  function button(label, action) {
    var b = el("button", label);
    b.type = "button";
    b.addEventListener("click", function () { action().then(function () { show(current()); }).catch(fail); });
    return b;
  }

  function openConversation(id) {
    call("GET", "/v1/conversations/" + encodeURIComponent(id)).then(function (c) {
      var box = $("[data-testid=conversation-detail]");
      box.textContent = "";
      box.appendChild(el("h3", c.id + (c.user_id ? " · " + c.user_id : "") + " · " + c.status));
      var fb = {};
      c.feedback.forEach(function (f) { if (f.turn_id) { (fb[f.turn_id] = fb[f.turn_id] || []).push(f); } });
      c.turns_detail.forEach(function (t) {
        var d = el("div", null, "turn");
        d.setAttribute("data-testid", "turn");
        d.appendChild(el("div", t.text, "q"));
        var a = el("div");
        a.appendChild(el("span", t.kind, "kind " + t.kind));
        a.appendChild(document.createTextNode(" " + t.reply));
        d.appendChild(a);
        var why = "decided by " + t.decided_by + " · " + t.reason + " · source " + t.source;
        if (t.intent) { why += " · intent " + t.intent + " " + (t.intent_confidence || 0).toFixed(2); }
        if (t.faq_id) { why += " · FAQ " + t.faq_id + " " + (t.faq_confidence || 0).toFixed(2); }
        if (t.tags.length) { why += " · tags " + t.tags.join(", "); }
        d.appendChild(el("div", why, "why"));
        (fb[t.turn_id] || []).forEach(function (f) {
          d.appendChild(el("div", "feedback: " + f.kind + " " + (f.value || f.corrected_intent || f.corrected_faq_id || ""), "why"));
        });
        box.appendChild(d);
      });
      c.messages.filter(function (m) { return m.role === "agent"; }).forEach(function (m) {
        var d = el("div", null, "turn");
        d.appendChild(el("span", "agent", "kind"));
        d.appendChild(document.createTextNode(" " + m.text));
        box.appendChild(d);
      });
      var form = el("form", null, "reply");
      var input = el("input");
      input.placeholder = "reply to the customer as an agent";
      input.setAttribute("data-testid", "agent-reply");
      var send = el("button", "Send");
      form.appendChild(input);
      form.appendChild(send);
      form.addEventListener("submit", function (ev) {
        ev.preventDefault();
        if (!input.value.trim()) { return; }
        call("POST", "/v1/conversations/" + encodeURIComponent(c.id) + "/messages", { text: input.value.trim() })
          .then(function () { openConversation(c.id); }).catch(fail);
      });
      box.appendChild(form);
    }).catch(fail);
  }

  var faqForm = $("#faq-form");
  function editFaq(f) {
    faqForm.id.value = f.id;
    faqForm.questions.value = (f.questions || []).join("\n");
    faqForm.zh.value = (f.answers || {}).zh || (f.answer || "");
    faqForm.en.value = (f.answers || {}).en || "";
    faqForm.category.value = f.category || "";
  }
  faqForm.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var answers = {};
    if (faqForm.zh.value.trim()) { answers.zh = faqForm.zh.value.trim(); }
    if (faqForm.en.value.trim()) { answers.en = faqForm.en.value.trim(); }
    var body = {
      id: faqForm.id.value.trim(),
      questions: faqForm.questions.value.split("\n").map(function (s) { return s.trim(); }).filter(Boolean),
      answer: answers.zh || answers.en || "",
      answers: answers,
      category: faqForm.category.value.trim() || null
    };
    call("PUT", "/v1/admin/faqs/" + encodeURIComponent(body.id), body).then(function (r) {
      status.textContent = "saved " + r.id + (r.live ? " (live)" : " (stored; applies after reload)");
      return loaders.faqs();
    }).catch(fail);
  });
  $("#faq-delete").addEventListener("click", function () {
    var id = faqForm.id.value.trim();
    if (id && confirm("Delete " + id + "?")) {
      call("DELETE", "/v1/admin/faqs/" + encodeURIComponent(id)).then(function () { faqForm.reset(); return loaders.faqs(); }).catch(fail);
    }
  });
  $("#faq-new").addEventListener("click", function () { faqForm.reset(); });
  $("#try-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var msg = ev.target.message.value.trim();
    if (!msg) { return; }
    call("POST", "/v1/admin/try", { message: msg }).then(function (r) {
      var out = $("[data-testid=try-out]");
      var lines = [r.decision.kind + ": " + r.reply, "why: " + r.decision.reason + " (" + r.decision.decided_by + ", " + r.decision.source + ")"];
      if (r.intent) { lines.push("intent: " + r.intent.name + " " + r.intent.confidence.toFixed(2)); }
      r.faqs.slice(0, 3).forEach(function (f) { lines.push("FAQ " + f.faq_id + " " + f.confidence.toFixed(2) + " ← " + f.matched_question); });
      (r.kb || []).slice(0, 2).forEach(function (k) { lines.push("KB " + k.title + " " + k.confidence.toFixed(2)); });
      out.textContent = lines.join("\n");
    }).catch(fail);
  });

  var kbForm = $("#kb-form");
  function editKb(d) { kbForm.id.value = d.id; kbForm.title.value = d.title; kbForm.text.value = d.text; }
  kbForm.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var body = { id: kbForm.id.value.trim(), title: kbForm.title.value.trim(), text: kbForm.text.value, format: "md" };
    call("PUT", "/v1/admin/kb/" + encodeURIComponent(body.id), body).then(function (r) {
      status.textContent = "saved " + r.id + (r.live ? " (live, " + r.passages + " passages)" : " (stored)");
      return loaders.kb();
    }).catch(fail);
  });
  $("#kb-delete").addEventListener("click", function () {
    var id = kbForm.id.value.trim();
    if (id && confirm("Delete " + id + "?")) {
      call("DELETE", "/v1/admin/kb/" + encodeURIComponent(id)).then(function () { kbForm.reset(); return loaders.kb(); }).catch(fail);
    }
  });
  $("#kb-new").addEventListener("click", function () { kbForm.reset(); });
  $("#handoff-status").addEventListener("change", function () { show("handoffs"); });

  function current() { var h = location.hash.slice(1); return loaders[h] ? h : "dashboard"; }
  function show(name) {
    status.textContent = key ? "" : "Enter an admin or agent key to start.";
    document.querySelectorAll(".tab").forEach(function (s) { s.classList.toggle("active", s.id === name); });
    document.querySelectorAll("[data-tab]").forEach(function (a) { a.classList.toggle("active", a.getAttribute("data-tab") === name); });
    loadSeq += 1;
    if (key) { loaders[name]().catch(fail); }
  }
  window.addEventListener("hashchange", function () { show(current()); });
  show(current());
})();
