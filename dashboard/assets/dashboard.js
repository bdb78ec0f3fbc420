// Progressive enhancement: apply the view options as soon as a choice is made with the
// pointer (without JavaScript the Apply button does the same; from the keyboard the
// arrows only choose and Enter applies, so stepping through the options does not leave
// the page), and save the settings form through the API's config endpoint (PATCH, same
// origin: the browser sends the token it was given).
document.addEventListener("DOMContentLoaded", function () {
  var form = document.querySelector("form.controls");
  if (form) {
    form.querySelectorAll("select").forEach(function (el) {
      var keyed = false;
      el.addEventListener("keydown", function (ev) {
        if (ev.key === "Enter") { ev.preventDefault(); form.submit(); return; }
        keyed = true;
      });
      el.addEventListener("pointerdown", function () { keyed = false; });
      el.addEventListener("change", function () { if (!keyed) form.submit(); });
    });
  }
  var settings = document.getElementById("settings-form");
  if (!settings) return;
  var status = document.getElementById("settings-status");
  function list(s) {
    return s.split(",").map(function (x) { return x.trim(); }).filter(function (x) { return x !== ""; });
  }
  settings.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var f = settings.elements;
    var weights = {};
    list(f.weights.value).forEach(function (w) {
      var i = w.lastIndexOf("=");
      if (i > 0) weights[w.slice(0, i).trim()] = parseFloat(w.slice(i + 1));
    });
    var body = {
      control: f.control.value,
      primary_goal: f.primary_goal.value,
      secondary_goals: list(f.secondary_goals.value),
      guardrail_goals: list(f.guardrail_goals.value).map(function (g) {
        var lower = /:lower-is-better$/.test(g);
        return { goal: g.replace(/:(lower|higher)-is-better$/, ""), lower_is_better: lower };
      }),
      weights: weights,
      correction: f.correction.value,
      status: f.status.value,
      sequential: f.sequential.checked,
      notes: f.notes.value
    };
    status.textContent = "Saving…";
    fetch(settings.dataset.api, {
      method: "PATCH", credentials: "same-origin",
      headers: { "Content-Type": "application/json" }, body: JSON.stringify(body)
    }).then(function (resp) {
      if (resp.ok) { status.textContent = "Saved."; window.location.reload(); return; }
      return resp.text().then(function (t) {
        var msg = t;
        try { msg = JSON.parse(t).error || t; } catch (e) { /* not JSON */ }
        status.textContent = "Not saved (" + resp.status + "): " + msg;
      });
    }).catch(function (e) { status.textContent = "Not saved: " + e; });
  });
});
