// Saves a patient's questionnaire answers in the background as they pick them
// (templates/outcomes/q_fill.html), as "Save and continue later" does: a phone that
// locks or a closed tab loses nothing. The form works without this script.
(function () {
  "use strict";
  var form = document.querySelector("form[data-autosave]");
  if (!form || !window.fetch || !window.FormData) return;
  var status = document.getElementById("q-autosave-status");
  var timer = null;

  function save() {
    var data = new FormData(form);
    data.delete("submit");
    data.set("later", "1");
    fetch(form.getAttribute("action") || window.location.href, {
      method: "POST",
      body: data,
      credentials: "same-origin",
    }).then(function (response) {
      if (status && response.ok) status.textContent = "Your answers are saved.";
    }).catch(function () {
      if (status) status.textContent = "";  // offline: the buttons still save
    });
  }

  function later(delay) {
    window.clearTimeout(timer);
    timer = window.setTimeout(save, delay);
  }

  form.addEventListener("change", function () { later(600); });
  form.addEventListener("input", function () { later(1500); });
  // A press of Submit or Save sends the form itself: no background save after it.
  form.addEventListener("submit", function () { window.clearTimeout(timer); });
})();
