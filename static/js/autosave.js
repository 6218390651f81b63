// Saves a draft form in the background while the physiotherapist types.
// The form works without this script (its Save button posts normally).
(function () {
  "use strict";
  document.querySelectorAll("form[data-autosave]").forEach(function (form) {
    var status = document.getElementById(form.dataset.autosave);
    var timer = null;
    var dirty = false;

    function save() {
      timer = null;
      if (!dirty) return;
      dirty = false;
      status.textContent = "Saving…";
      fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: { "X-Autosave": "1" },
        credentials: "same-origin",
      })
        .then(function (response) {
          return response.json().then(function (body) {
            if (response.ok) {
              status.textContent = "Draft saved at " + body.saved;
            } else {
              dirty = true;
              status.textContent = body.error || "Not saved: check the fields marked when you press Save.";
            }
          });
        })
        .catch(function () {
          dirty = true;
          status.textContent = "Not saved (connection lost); will try again.";
        });
    }

    // Any form sent from this page (Save, Sign, Add site...) carries on normally: the
    // note's own fields are saved by its Save button, so nothing is pending any more.
    document.addEventListener("submit", function () {
      if (timer) clearTimeout(timer);
      timer = null;
      dirty = false;
    });

    form.addEventListener("input", function () {
      dirty = true;
      if (timer) clearTimeout(timer);
      timer = setTimeout(save, 1500);
    });
    window.addEventListener("beforeunload", function (event) {
      if (dirty) {
        save();
        event.preventDefault();
      }
    });
  });
})();
