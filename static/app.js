// Small behaviours on top of htmx: confirm dialogs, one-shot forms, "/" to search, toasts, charts.
(function () {
  "use strict";

  function confirmDialog(text) {
    var dialog = document.getElementById("confirm-dialog");
    if (!dialog || !dialog.showModal) return Promise.resolve(window.confirm(text));
    document.getElementById("confirm-text").textContent = text;
    dialog.returnValue = "";
    dialog.showModal();
    document.getElementById("confirm-ok").focus();
    return new Promise(function (resolve) {
      dialog.addEventListener("close", function () { resolve(dialog.returnValue === "ok"); }, { once: true });
    });
  }

  // Forms (or the clicked button) with data-confirm ask first, for plain submits and htmx requests alike.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var submitter = event.submitter;
    var question = (submitter && submitter.dataset.confirm) || form.dataset.confirm;
    if (question && !form.dataset.confirmed) {
      event.preventDefault();
      event.stopImmediatePropagation();
      confirmDialog(question).then(function (ok) {
        if (!ok) return;
        form.dataset.confirmed = "1";
        if (submitter) { form.requestSubmit(submitter); } else { form.requestSubmit(); }
        delete form.dataset.confirmed;
      });
      return;
    }
    // A submitted form cannot be sent twice while the first request is under way. Disabled buttons are not
    // sent, so the clicked button's name and value travel in a hidden field.
    if (form.hasAttribute("data-once") && !form.hasAttribute("hx-post")) {
      if (form.dataset.sent) { event.preventDefault(); return; }
      form.dataset.sent = "1";
      if (submitter && submitter.name) {
        var carry = document.createElement("input");
        carry.type = "hidden";
        carry.name = submitter.name;
        carry.value = submitter.value;
        carry.dataset.carried = "1";
        form.appendChild(carry);
      }
      form.querySelectorAll("button[type=submit], button:not([type])").forEach(function (b) { b.disabled = true; });
    }
  }, true);
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-sent]").forEach(function (form) {
      delete form.dataset.sent;
      form.querySelectorAll("input[data-carried]").forEach(function (i) { i.remove(); });
      form.querySelectorAll("button").forEach(function (b) { b.disabled = false; });
    });
  });

  // Filter forms leave empty fields out of the URL, so addresses stay short and shareable.
  document.body.addEventListener("htmx:configRequest", function (event) {
    var elt = event.detail.elt;
    if (!elt || !elt.classList || !elt.classList.contains("filters")) return;
    var params = event.detail.parameters;
    Object.keys(params).forEach(function (key) { if (params[key] === "") delete params[key]; });
  });

  // "/" focuses the search of the current list.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    var tag = (document.activeElement && document.activeElement.tagName) || "";
    if (/INPUT|TEXTAREA|SELECT/.test(tag) || (document.activeElement && document.activeElement.isContentEditable)) return;
    var search = document.querySelector("[data-list-search]");
    if (search) { event.preventDefault(); search.focus(); search.select(); }
  });

  // Toasts fade after a while (data-ttl ms, 6 s by default; not while focus is inside one, e.g. on its Undo);
  // HX-Trigger {"toast": "..."} adds one, and so do out-of-band swaps into #toasts.
  function dismissLater(el) {
    if (el.dataset.dismissing) return;
    el.dataset.dismissing = "1";
    var wait = parseInt(el.dataset.ttl || "6000", 10);
    (function later() {
      setTimeout(function () { if (el.contains(document.activeElement)) { later(); } else { el.remove(); } }, wait);
    })();
  }
  document.querySelectorAll(".toast").forEach(dismissLater);
  var toastBox = document.getElementById("toasts");
  if (toastBox && window.MutationObserver) {
    new MutationObserver(function (changes) {
      changes.forEach(function (change) {
        change.addedNodes.forEach(function (node) { if (node.classList && node.classList.contains("toast")) dismissLater(node); });
      });
    }).observe(toastBox, { childList: true });
  }
  // A toast's own action (an Undo) closes the toast once it is done.
  document.body.addEventListener("htmx:afterRequest", function (event) {
    var toast = event.detail.elt && event.detail.elt.closest && event.detail.elt.closest(".toast");
    if (toast) toast.remove();
  });

  // A "tick all" box ticks or clears every checkbox named by its data-check-all.
  document.addEventListener("change", function (event) {
    var all = event.target;
    if (!all.matches || !all.matches("input[data-check-all]")) return;
    document.querySelectorAll('input[type=checkbox][name="' + all.dataset.checkAll + '"]').forEach(function (box) {
      box.checked = all.checked;
    });
  });
  document.body.addEventListener("toast", function (event) {
    var box = document.getElementById("toasts");
    var el = document.createElement("div");
    var detail = event.detail || {};
    el.className = "toast toast-" + (detail.category || "success");
    el.setAttribute("role", "status");
    el.textContent = detail.value || detail.message || "";
    box.appendChild(el);
    dismissLater(el);
  });

  // Person pickers (components/person_picker.html): a choice among the matches puts the chosen name into the
  // search box (the server then keeps the choice); a choice by pointer (arrow keys only move it), Escape or
  // leaving the picker closes the list of matches, typing again opens it.
  function pickerOf(el) { return el && el.closest ? el.closest(".picker") : null; }
  // The box's own "change" (on leaving it) and typing in it are no choice: they must not re-filter a filter bar
  // the picker sits in (the box asks for its matches itself).
  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches("input[data-person-search]")) event.stopPropagation();
  }, true);
  function keepTyping(root) {
    (root.querySelectorAll ? root.querySelectorAll(".picker") : []).forEach(function (picker) {
      if (picker.dataset.keepTyping) return;
      picker.dataset.keepTyping = "1";
      picker.addEventListener("input", function (event) {
        if (event.target.matches("input[data-person-search]")) event.stopPropagation();
      });
    });
  }
  keepTyping(document);
  document.body.addEventListener("htmx:load", function (event) { keepTyping(event.target.parentNode || document); });
  document.addEventListener("change", function (event) {
    var radio = event.target;
    var picker = pickerOf(radio);
    if (!picker || radio.type !== "radio") return;
    var box = picker.querySelector("input[data-person-search]");
    var label = radio.closest("label");
    if (box) box.value = radio.value && label ? label.textContent.trim() : "";
    var choices = radio.closest(".picker-choices");
    if (choices && choices.dataset.pointer) { delete choices.dataset.pointer; closeChoices(picker); }
  });
  function closeChoices(picker) {
    var choices = picker && picker.querySelector(".picker-choices");
    if (choices) choices.classList.add("is-closed");
  }
  document.addEventListener("pointerdown", function (event) {
    var choices = event.target.closest && event.target.closest(".picker-choices");
    if (choices) choices.dataset.pointer = "1";
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") closeChoices(pickerOf(event.target));
  });
  document.addEventListener("focusout", function (event) {
    var picker = pickerOf(event.target);
    if (!picker) return;
    // later: a click on a match's label moves the focus to its radio only after the box has lost it
    setTimeout(function () { if (!picker.contains(document.activeElement)) closeChoices(picker); }, 250);
  });
  document.addEventListener("input", function (event) {
    var picker = event.target.matches && event.target.matches("input[data-person-search]") && pickerOf(event.target);
    var choices = picker && picker.querySelector(".picker-choices");
    if (choices) choices.classList.remove("is-closed");
  });
  document.body.addEventListener("htmx:afterSwap", function (event) {
    if (event.target.classList && event.target.classList.contains("picker-choices")) event.target.classList.remove("is-closed");
  });

  // Charts: <canvas data-chart="id-of-json"> drawn by the vendored Chart.js when the page loads it.
  function drawCharts(root) {
    if (!window.Chart) return;
    (root || document).querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      if (canvas.dataset.drawn) return;
      var source = document.getElementById(canvas.dataset.chart);
      var text = canvas.dataset.chartSpec || (source && source.textContent);  // the attribute survives htmx swaps
      if (!text) return;
      var spec = JSON.parse(text);
      var dashes = [[], [6, 4], [2, 3], [10, 4, 2, 4]];
      spec.datasets.forEach(function (ds, i) { if (spec.type === "line") ds.borderDash = dashes[i % dashes.length]; });
      canvas.dataset.drawn = "1";
      new window.Chart(canvas, {
        type: spec.type,
        data: { labels: spec.labels, datasets: spec.datasets },
        options: { responsive: true, maintainAspectRatio: false, animation: false,
          plugins: { legend: { position: "bottom" } } }
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { drawCharts(document); });
  document.body.addEventListener("htmx:afterSettle", function (event) { drawCharts(event.target); });
})();
