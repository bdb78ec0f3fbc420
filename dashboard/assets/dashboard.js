// Optional progressive enhancement: apply the options as soon as a choice changes.
// Without JavaScript the form's Apply button does the same.
document.addEventListener("DOMContentLoaded", function () {
  var form = document.querySelector("form.controls");
  if (!form) return;
  form.querySelectorAll("select").forEach(function (el) {
    el.addEventListener("change", function () { form.submit(); });
  });
});
