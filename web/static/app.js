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
        box.scrollTop += (r.top - b.top) - (b.height - r.height) / 2;  // phones: tall ones too
      });
    });
  }

  // Show the number a slider is set to (a range input shows no value of its own).
  function rangeValues() {
    document.querySelectorAll('input[type="range"]').forEach(function (input) {
      var out = document.createElement("output");
      out.className = "range-value";
      out.setAttribute("for", input.id);
      // At its minimum with an "unanswered" marker, the slider is not answered yet.
      var marker = input.form && input.form.querySelector(
        'input[type="hidden"][name="__unanswered__:' + input.name + '"]');
      var answered = input.form && input.form.querySelector(
        'input[type="checkbox"][name="__answered__:' + input.name + '"]');
      var touched = !marker || input.value !== marker.value;
      var show = function () { out.textContent = touched ? input.value : out.dataset.empty; };
      out.dataset.empty = input.getAttribute("data-unrated") || "not rated";
      // Touching the slider answers it, even at the value it already shows (its lowest):
      // a click on the thumb or a key moves nothing but is a choice all the same.
      var touch = function () {
        touched = true;
        if (answered) { answered.checked = true; }
        show();
      };
      ["input", "change", "pointerdown"].forEach(function (kind) {
        input.addEventListener(kind, touch);
      });
      input.addEventListener("keydown", function (e) {
        if (/^(Arrow|Page|Home|End)/.test(e.key)) { touch(); }
      });
      if (answered) {
        answered.checked = touched;
        answered.closest("label").hidden = true;
      }
      show();
      input.insertAdjacentElement("afterend", out);
    });
  }

  // Leaving a form with changes nobody saved asks first. A form the server showed again
  // with typed answers (after an error or a row button) starts out unsaved.
  function unsavedWarning() {
    var forms = document.querySelectorAll("form[data-unsaved]");
    if (!forms.length) { return; }
    var dirty = false, leaving = false;
    forms.forEach(function (form) {
      if (form.getAttribute("data-unsaved") === "typed") { dirty = true; }
      form.addEventListener("input", function () { dirty = true; });
      form.addEventListener("change", function () { dirty = true; });
      form.addEventListener("submit", function () { leaving = true; });
    });
    window.addEventListener("beforeunload", function (e) {
      if (dirty && !leaving) { e.preventDefault(); e.returnValue = ""; }
    });
  }

  // oneOf/anyOf: only the chosen alternative's fields show (all of them without JS).
  function alternatives() {
    document.querySelectorAll('input[type="radio"][name*="__alt__:"]').forEach(function (radio) {
      var box = radio.closest(".rf-alternative");
      if (!box) { return; }
      var update = function () {
        Array.prototype.forEach.call(box.parentNode.children, function (alt) {
          if (!alt.classList.contains("rf-alternative")) { return; }
          var own = alt.querySelector('input[type="radio"][name="' + radio.name + '"]');
          Array.prototype.forEach.call(alt.children, function (child) {
            if (!child.classList.contains("rf-alternative-choice")) {
              child.hidden = !(own && own.checked);
            }
          });
        });
      };
      radio.addEventListener("change", update);
      if (radio.checked) { update(); }
    });
  }

  // Computed values (a score, each row's achievement) follow the typing: the server works
  // them out from what is typed (nothing is stored) and the read-only fields show them.
  // Without JavaScript they are worked out when the form is saved or submitted.
  function computedValues() {
    document.querySelectorAll("form[data-computed]").forEach(function (form) {
      var url = form.getAttribute("data-computed"), timer = null, asked = 0;
      var refresh = function () {
        var mine = ++asked;
        fetch(url, {method: "POST", body: new FormData(form), credentials: "same-origin",
                    headers: {"Accept": "application/json"}})
          .then(function (r) { return r.ok ? r.json() : null; })
          .then(function (values) {
            if (!values || mine !== asked) { return; }  // a later answer is on its way
            Object.keys(values).forEach(function (name) {
              var field = form.querySelector('[name="' + CSS.escape(name) + '"]');
              if (field && field.readOnly) { field.value = values[name]; }
            });
          })
          .catch(function () {});
      };
      form.addEventListener("input", function (e) {
        if (e.target.readOnly) { return; }
        window.clearTimeout(timer);
        timer = window.setTimeout(refresh, 250);
      });
    });
  }

  // A people picker's list starts with the people nearest the person typing (their team,
  // their manager's peers); as they type a name, the directory's matches are asked for
  // and put first. Without JavaScript the first list and typing an email still work.
  function peoplePickers() {
    document.querySelectorAll("datalist[data-search]").forEach(function (list) {
      var url = list.getAttribute("data-search"), timer = null, asked = 0;
      var near = Array.prototype.map.call(list.options, function (o) {
        return [o.value, o.textContent];
      });
      var show = function (found) {
        var seen = {}, options = [];
        found.concat(near).forEach(function (pair) {
          if (seen[pair[0]]) { return; }
          seen[pair[0]] = true;
          var option = document.createElement("option");
          option.value = pair[0];
          option.textContent = pair[1];
          options.push(option);
        });
        list.replaceChildren.apply(list, options);
      };
      document.addEventListener("input", function (e) {
        var field = e.target;
        if (!field.getAttribute || field.getAttribute("list") !== list.id) { return; }
        window.clearTimeout(timer);
        var text = field.value.trim();
        if (text.length < 2) { return; }
        timer = window.setTimeout(function () {
          var mine = ++asked;
          fetch(url + "?q=" + encodeURIComponent(text), {credentials: "same-origin",
                                                         headers: {"Accept": "application/json"}})
            .then(function (r) { return r.ok ? r.json() : []; })
            .then(function (people) {
              if (mine !== asked) { return; }  // a later answer is on its way
              show(people.map(function (p) { return [p.email, p.label]; }));
            })
            .catch(function () {});
        }, 200);
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    peoplePickers();
    computedValues();
    confirmations();
    alternatives();
    unsavedWarning();
    rangeValues();
    centreDiagrams();
  });
})();
