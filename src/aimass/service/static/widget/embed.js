/* Drop into any page:
     <script src="https://YOUR-SERVER/widget/embed.js" data-key="am_..." data-lang="zh" async></script>
   Adds a chat button that opens the widget in an iframe served by the same AI Mass server. */
(function () {
  "use strict";
  var me = document.currentScript;
  if (!me) { return; }
  var base = new URL(".", me.src).href;
  var lang = me.getAttribute("data-lang") || document.documentElement.lang || navigator.language || "en";
  var q = new URLSearchParams({ lang: lang });
  if (me.getAttribute("data-user")) { q.set("user", me.getAttribute("data-user")); }
  var src = base + "?" + q.toString() + "#key=" + encodeURIComponent(me.getAttribute("data-key") || "");
  var zh = lang.toLowerCase().indexOf("zh") === 0;

  var button = document.createElement("button");
  button.type = "button";
  button.textContent = zh ? "在线客服" : "Chat with us";
  button.setAttribute("aria-expanded", "false");
  button.style.cssText = "position:fixed;right:20px;bottom:20px;z-index:2147483646;padding:10px 16px;border:none;border-radius:22px;background:#1f6feb;color:#fff;font:15px system-ui,sans-serif;cursor:pointer;box-shadow:0 2px 8px #0003";
  var frame = document.createElement("iframe");
  frame.title = zh ? "在线客服" : "Customer service chat";
  frame.style.cssText = "position:fixed;right:20px;bottom:72px;z-index:2147483647;width:370px;height:560px;max-height:calc(100vh - 100px);max-width:calc(100vw - 40px);border:1px solid #d0d7de;border-radius:12px;background:#fff;display:none;box-shadow:0 4px 24px #0003";
  button.addEventListener("click", function () {
    if (!frame.src) { frame.src = src; }
    var open = frame.style.display === "none";
    frame.style.display = open ? "block" : "none";
    button.setAttribute("aria-expanded", String(open));
  });
  document.body.appendChild(frame);
  document.body.appendChild(button);
})();
