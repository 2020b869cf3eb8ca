// Small enhancements only; every page works without JavaScript.
(function () {
  "use strict";

  function confirmations() {
    document.querySelectorAll("[data-confirm]").forEach(function (el) {
      var event = el.tagName === "FORM" ? "submit" : "click";
      el.addEventListener(event, function (e) {
        if (!window.confirm(el.getAttribute("data-confirm"))) { e.preventDefault(); }
      });
    });
  }

  // Bring the current step of a wide diagram into view.
  function centreDiagrams() {
    document.querySelectorAll(".diagram[data-current]").forEach(function (box) {
      var id = box.getAttribute("data-current");
      box.querySelectorAll("g.node").forEach(function (node) {
        var title = node.querySelector("title");
        if (!title || title.textContent !== id) { return; }
        var r = node.getBoundingClientRect(), b = box.getBoundingClientRect();
        box.scrollLeft += (r.left - b.left) - (b.width - r.width) / 2;
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    confirmations();
    centreDiagrams();
  });
})();
