// Tasks: kanban moves (drag and drop, or arrow keys on a focused card), calendar drags (or arrow keys), one
// request per move with an undo toast; the phone's position for visits; posts that failed are kept and retried.
(function () {
  "use strict";

  function csrf() {
    try { return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["x-csrftoken"] || ""; }
    catch (e) { return ""; }
  }

  function post(url, fields) {
    var body = new FormData();
    Object.keys(fields).forEach(function (k) { body.append(k, fields[k]); });
    return fetch(url, { method: "POST", body: body, credentials: "same-origin",
      headers: { "x-csrftoken": csrf(), "Accept": "application/json" } })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); });
  }

  function toast(text, undoLabel, undo, kind) {
    var box = document.getElementById("toasts");
    if (!box) return;
    var el = document.createElement("div");
    el.className = "toast toast-" + (kind || "success");
    el.setAttribute("role", "status");
    el.appendChild(document.createTextNode(text + " "));
    if (undo) {
      var b = document.createElement("button");
      b.type = "button";
      b.className = "btn btn-small";
      b.textContent = undoLabel;
      b.addEventListener("click", function () { el.remove(); undo(); });
      el.appendChild(b);
    }
    box.appendChild(el);
  }

  // ---------------------------------------------------------------- kanban
  var board = document.querySelector("[data-board]");
  var STATUSES = ["todo", "in_progress", "done", "cancelled"];

  function bump(status, delta) {  // a column's count changes by one; a capped "10 000+" stays as it is
    var n = board.querySelector('[data-column="' + status + '"] [data-count]');
    if (!n || n.textContent.indexOf("+") >= 0) return;
    n.textContent = Math.max(0, parseInt(n.textContent.replace(/\D/g, "") || "0", 10) + delta);
  }

  function placeCard(card, status) {
    var target = board.querySelector('[data-drop="' + status + '"]');
    if (!target) return;
    bump(card.dataset.status, -1);
    bump(status, 1);
    var empty = target.querySelector(".tk-empty");
    if (empty) empty.remove();
    target.insertBefore(card, target.firstChild);
    card.dataset.status = status;
    var i = STATUSES.indexOf(status);
    card.querySelectorAll("[data-move]").forEach(function (b) {
      var to = STATUSES[i + parseInt(b.dataset.move, 10)];
      b.value = to || "";
      b.hidden = !to;
    });
    if (status === "done" || status === "cancelled") card.classList.remove("is-late");
  }

  function moveCard(card, status, quiet) {
    var from = card.dataset.status;
    if (!status || status === from) return;
    placeCard(card, status);
    card.focus();
    post("/tasks/" + card.dataset.id + "/move", { status: status }).then(function (answer) {
      if (quiet) return;
      toast(answer.message, board.dataset.undoLabel, function () { moveCard(card, answer.previous, true); });
    }).catch(function () {
      placeCard(card, from);
      toast(board.dataset.failed, null, null, "error");
    });
  }

  if (board) {
    board.addEventListener("dragstart", function (e) {
      var card = e.target.closest && e.target.closest(".tk-card");
      if (!card) return;
      e.dataTransfer.setData("text/plain", card.dataset.id);
      e.dataTransfer.effectAllowed = "move";
    });
    board.addEventListener("dragover", function (e) {
      if (e.target.closest && e.target.closest("[data-column]")) e.preventDefault();
    });
    board.addEventListener("drop", function (e) {
      var col = e.target.closest && e.target.closest("[data-column]");
      if (!col) return;
      e.preventDefault();
      var card = board.querySelector('.tk-card[data-id="' + e.dataTransfer.getData("text/plain") + '"]');
      if (card) moveCard(card, col.dataset.column);
    });
    board.addEventListener("keydown", function (e) {
      var card = e.target;
      if (!card.classList || !card.classList.contains("tk-card")) return;
      var i = STATUSES.indexOf(card.dataset.status);
      if (e.key === "ArrowRight" && i < STATUSES.length - 1) { e.preventDefault(); moveCard(card, STATUSES[i + 1]); }
      if (e.key === "ArrowLeft" && i > 0) { e.preventDefault(); moveCard(card, STATUSES[i - 1]); }
    });
    board.addEventListener("click", function (e) {
      var b = e.target.closest && e.target.closest("[data-move]");
      if (!b) return;
      e.preventDefault();
      moveCard(b.closest(".tk-card"), b.value);
    });
  }

  // ---------------------------------------------------------------- calendar
  var cal = document.querySelector("[data-calendar]");

  function shift(iso, days) {
    var d = new Date(iso + "T12:00:00Z");
    d.setUTCDate(d.getUTCDate() + days);
    return d.toISOString().slice(0, 10);
  }

  function reschedule(chip, day, quiet) {
    var from = chip.dataset.day;
    if (!day || day === from) return;
    var cell = cal.querySelector('.tk-day[data-day="' + day + '"]');
    var oldCell = chip.parentNode;
    if (cell) { cell.appendChild(chip); } else { chip.hidden = true; }
    chip.dataset.day = day;
    chip.focus();
    post("/tasks/" + chip.dataset.id + "/reschedule", { day: day }).then(function (answer) {
      if (quiet) return;
      toast(answer.message, cal.dataset.undoLabel, function () { chip.hidden = false; reschedule(chip, from, true); });
    }).catch(function () {
      oldCell.appendChild(chip);
      chip.hidden = false;
      chip.dataset.day = from;
      toast(cal.dataset.failed, null, null, "error");
    });
  }

  if (cal) {
    cal.addEventListener("dragstart", function (e) {
      var chip = e.target.closest && e.target.closest(".tk-chip-task");
      if (chip) { e.dataTransfer.setData("text/plain", chip.dataset.id); e.dataTransfer.effectAllowed = "move"; }
    });
    cal.addEventListener("dragover", function (e) {
      if (e.target.closest && e.target.closest(".tk-day[data-day]")) e.preventDefault();
    });
    cal.addEventListener("drop", function (e) {
      var cell = e.target.closest && e.target.closest(".tk-day[data-day]");
      if (!cell) return;
      e.preventDefault();
      var chip = cal.querySelector('.tk-chip-task[data-id="' + e.dataTransfer.getData("text/plain") + '"]');
      if (chip) reschedule(chip, cell.dataset.day);
    });
    cal.addEventListener("keydown", function (e) {
      var chip = e.target;
      if (!chip.classList || !chip.classList.contains("tk-chip-task")) return;
      var step = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -7, ArrowDown: 7 }[e.key];
      if (!step) return;
      e.preventDefault();
      reschedule(chip, shift(chip.dataset.day, step));
    });
  }

  // ---------------------------------------------------------------- outbox: failed posts are kept and retried
  var KEY = "crm-outbox";
  var memory = [];  // posts with files (not storable): retried while the page is open

  function stored() { try { return JSON.parse(localStorage.getItem(KEY) || "[]"); } catch (e) { return []; } }
  function store(items) { try { localStorage.setItem(KEY, JSON.stringify(items)); } catch (e) { /* full */ } }

  function showOutbox() {
    var n = stored().length + memory.length;
    document.querySelectorAll("[data-outbox]").forEach(function (box) {
      box.hidden = n === 0;
      box.textContent = (box.dataset.text || "").replace("{n}", n);
    });
  }

  function send(action, body) {
    return fetch(action, { method: "POST", body: body, credentials: "same-origin", headers: { "x-csrftoken": csrf() } });
  }

  function flush() {
    var items = stored();
    var left = [];
    var chain = Promise.resolve();
    items.forEach(function (item) {
      chain = chain.then(function () {
        var body = new FormData();
        item.fields.forEach(function (pair) { body.append(pair[0], pair[1]); });
        return send(item.action, body).then(function (r) { if (r.status >= 500) left.push(item); })
          .catch(function () { left.push(item); });
      });
    });
    var files = memory;
    memory = [];
    files.forEach(function (item) {
      chain = chain.then(function () {
        return send(item.action, item.body).then(function (r) { if (r.status >= 500) memory.push(item); })
          .catch(function () { memory.push(item); });
      });
    });
    return chain.then(function () {
      var before = items.length + files.length;
      store(left);
      showOutbox();
      if (before && !left.length && !memory.length && document.querySelector("[data-outbox]")) location.reload();
    });
  }

  function submitWithRetry(form) {
    var body = new FormData(form);
    send(form.action, body).then(function (r) {
      if (r.ok) { location.href = r.url || location.href; return; }
      if (r.status >= 500) throw new Error(r.status);
      form.dataset.native = "1";
      form.submit();  // a refusal (422…): let the page show it
    }).catch(function () {
      if (form.hasAttribute("data-files")) {
        memory.push({ action: form.action, body: body });
      } else {
        var fields = [];
        body.forEach(function (value, key) { if (typeof value === "string") fields.push([key, value]); });
        var items = stored();
        items.push({ action: form.action, fields: fields, at: Date.now() });
        store(items);
      }
      showOutbox();
    });
  }

  // ---------------------------------------------------------------- the phone's position (with consent)
  function withPosition(form, then) {
    var status = form.querySelector("[data-geo-status]");
    if (!navigator.geolocation || form.dataset.geoAsked) { then(); return; }
    form.dataset.geoAsked = "1";
    if (status) status.textContent = status.dataset.asking;
    navigator.geolocation.getCurrentPosition(function (p) {
      form.elements.lat.value = p.coords.latitude;
      form.elements.lon.value = p.coords.longitude;
      form.elements.accuracy.value = Math.round(p.coords.accuracy);
      if (status) status.textContent = status.dataset.got.replace("{m}", Math.round(p.coords.accuracy));
      then();
    }, function () {
      if (status) { status.textContent = status.dataset.denied; status.classList.add("tk-denied"); }
      then();
    }, { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 });
  }

  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (form.dataset.native) return;
    var geo = form.hasAttribute("data-geo");
    var retry = form.hasAttribute("data-retry");
    if (!geo && !retry) return;
    e.preventDefault();
    var go = function () { if (retry) { submitWithRetry(form); } else { form.dataset.native = "1"; form.submit(); } };
    if (geo) { withPosition(form, go); } else { go(); }
  });

  if (document.querySelector("[data-outbox]")) {
    showOutbox();
    if (stored().length) flush();
    window.addEventListener("online", flush);
    setInterval(function () { if (stored().length || memory.length) flush(); }, 15000);
  }

  // ---------------------------------------------------------------- map of the day's visits (Leaflet, lazily)
  var mapBox = document.querySelector("[data-map]");
  if (mapBox) {
    mapBox.addEventListener("toggle", function () {
      if (!mapBox.open || mapBox.dataset.started) return;
      mapBox.dataset.started = "1";
      var probe = new Image();
      probe.onerror = function () { mapBox.querySelector(".tk-map").hidden = true; mapBox.querySelector(".tk-map-off").hidden = false; };
      probe.onload = function () {
        var css = document.createElement("link");
        css.rel = "stylesheet";
        css.href = mapBox.dataset.leafletCss;
        document.head.appendChild(css);
        var js = document.createElement("script");
        js.src = mapBox.dataset.leaflet;
        js.onload = function () {
          var points = JSON.parse(mapBox.dataset.points || "[]");
          var map = window.L.map("visits-map");
          window.L.tileLayer("/tasks/tiles/{z}/{x}/{y}.png", { maxZoom: 19 }).addTo(map);
          var marks = points.map(function (p) {
            var label = document.createElement("span");
            label.textContent = (p.time ? p.time + " " : "") + p.title;  // text, never HTML
            return window.L.marker([p.lat, p.lon]).addTo(map).bindPopup(label);
          });
          map.fitBounds(window.L.featureGroup(marks).getBounds().pad(0.2), { maxZoom: 15 });
        };
        document.head.appendChild(js);
      };
      probe.src = "/tasks/tiles/0/0/0.png";
    });
  }
})();
