// Steps through the interleavings embedded in #model-data. Every text of the
// model goes in with textContent, never as HTML.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("model-data").textContent);
  var traces = data.findings.concat(data.warnings);
  if (traces.length === 0) return;
  var $ = function (id) { return document.getElementById(id); };
  var shown = 0; // index into traces
  var pos = 0; // 0: initial state; n: the state after step n

  function states() { return traces[shown].trace.states; }
  function last() { return states().length - 1; }

  function cell(tr, text, cls) {
    var td = document.createElement("td");
    td.textContent = text;
    if (cls) td.className = cls;
    tr.appendChild(td);
    return td;
  }

  // Lost update: which step is which (0-based in the data).
  function roles(f) {
    var r = {};
    var lu = f.lost_update;
    if (!lu) return r;
    if (lu.stale_read !== null && lu.stale_read !== undefined) r[lu.stale_read + 1] = ["stale-read", "stale read"];
    if (lu.lost_write !== null && lu.lost_write !== undefined) r[lu.lost_write + 1] = ["lost-write", "lost write"];
    r[lu.overwrite + 1] = ["overwrite", "overwrite"];
    return r;
  }

  function drawSteps() {
    var f = traces[shown];
    var body = $("steps").tBodies[0];
    var marks = roles(f);
    body.textContent = "";
    states().forEach(function (s, i) {
      if (!s.step) return;
      var tr = document.createElement("tr");
      tr.id = "step-" + i;
      cell(tr, String(i), "n");
      cell(tr, s.step.process, "process");
      cell(tr, s.step.line ? String(s.step.line) : "", "line");
      cell(tr, s.step.op, "op");
      var effect = cell(tr, s.step.effect, "effect");
      if (marks[i]) {
        tr.classList.add(marks[i][0]);
        var tag = document.createElement("span");
        tag.className = "tag";
        tag.textContent = marks[i][1];
        effect.appendChild(tag);
      }
      tr.addEventListener("click", function () { show(i); });
      body.appendChild(tr);
    });
    $("message").textContent = f.message;
    $("replay").textContent = "interleave replay " + data.model + " " + f.replay;
  }

  function drawProcesses(view, step) {
    var body = $("processes").tBodies[0];
    body.textContent = "";
    view.processes.forEach(function (p) {
      var tr = document.createElement("tr");
      tr.dataset.name = p.name;
      if (p.status === "blocked") tr.classList.add("blocked");
      if (step && (step.process === p.name || step.process.indexOf(p.name + " ") === 0)) tr.classList.add("acting");
      cell(tr, p.name, "name");
      cell(tr, p.line ? String(p.line) : "", "line");
      cell(tr, p.status, "status");
      body.appendChild(tr);
    });
  }

  function drawShared(view, before) {
    var old = {};
    if (before) before.shared.forEach(function (o) { old[o.name] = o.value; });
    var body = $("shared").tBodies[0];
    body.textContent = "";
    view.shared.forEach(function (o) {
      var tr = document.createElement("tr");
      tr.dataset.name = o.name;
      cell(tr, o.name, "name");
      cell(tr, o.kind, "kind");
      cell(tr, o.value, "value");
      var was = "";
      if (before && !(o.name in old)) was = "(new)";
      else if (before && old[o.name] !== o.value) was = old[o.name];
      if (was) tr.classList.add("changed");
      cell(tr, was, "was");
      body.appendChild(tr);
    });
  }

  function drawWaits(view) {
    var list = $("waits");
    list.textContent = "";
    view.waits.forEach(function (w) {
      var li = document.createElement("li");
      li.textContent = w.from + " → " + w.to + ": " + w.label;
      list.appendChild(li);
    });
    $("waits-box").hidden = view.waits.length === 0;
  }

  function drawSource(view, step) {
    document.querySelectorAll("#source .src-line").forEach(function (l) {
      l.classList.remove("ran", "here");
      l.querySelector(".marks").textContent = "";
    });
    var line = function (n) { return document.querySelector('#source [data-line="' + n + '"]'); };
    var ran = step && step.line ? line(step.line) : null;
    if (ran) ran.classList.add("ran");
    var first = ran;
    view.processes.forEach(function (p) {
      var l = p.line ? line(p.line) : null;
      if (!l || p.status.indexOf("exited") === 0) return;
      var b = document.createElement("span");
      b.className = "badge" + (p.status === "blocked" ? " blocked" : "");
      b.textContent = p.status === "blocked" ? p.name + " (blocked)" : p.name;
      l.classList.add("here");
      l.querySelector(".marks").appendChild(b);
      first = first || l;
    });
    if (first) first.scrollIntoView({ block: "nearest" });
  }

  function show(n) {
    pos = Math.max(0, Math.min(n, last()));
    var s = states()[pos];
    var before = pos > 0 ? states()[pos - 1] : null;
    $("position").textContent = pos === 0 ? "initial state" : "step " + pos + " of " + last();
    $("state-title").textContent = pos === 0 ? "State: initial" : "State after step " + pos;
    $("prev").disabled = pos === 0;
    $("next").disabled = pos === last();
    Array.prototype.forEach.call($("steps").tBodies[0].rows, function (tr, i) {
      var current = i + 1 === pos;
      tr.classList.toggle("current", current);
      tr.classList.toggle("future", i + 1 > pos);
      if (current) tr.setAttribute("aria-current", "step");
      else tr.removeAttribute("aria-current");
      if (current) tr.scrollIntoView({ block: "nearest" });
    });
    drawProcesses(s, s.step);
    drawShared(s, before);
    $("output").textContent = s.output.join("\n");
    drawWaits(s);
    drawSource(s, s.step);
  }

  function select(i) {
    shown = i;
    drawSteps();
    show(0);
  }

  $("prev").addEventListener("click", function () { show(pos - 1); });
  $("next").addEventListener("click", function () { show(pos + 1); });
  $("finding").addEventListener("change", function (e) { select(Number(e.target.value)); });
  document.addEventListener("keydown", function (e) {
    if (e.altKey || e.ctrlKey || e.metaKey || /^(SELECT|INPUT|TEXTAREA)$/.test(e.target.tagName)) return;
    var to = { ArrowLeft: pos - 1, ArrowRight: pos + 1, Home: 0, End: last() }[e.key];
    if (to === undefined) return;
    e.preventDefault();
    show(to);
  });
  select(Number($("finding").value) || 0);
})();
