// Saves a draft form in the background while the physiotherapist types.
// The form works without this script (its Save button posts normally).
//
// Every chart form sends the draft's version (a hidden "version" field); a save answers
// with the new one, which this script puts in every form of the page, so the page's own
// writes never look stale. A 409 means the draft was changed elsewhere (another tab,
// someone else) or signed: the message is shown and autosaving stops; the typing stays.
(function () {
  "use strict";
  document.querySelectorAll("form[data-autosave]").forEach(function (form) {
    var status = document.getElementById(form.dataset.autosave);
    var timer = null;
    var dirty = false;
    var stopped = false;
    var inflight = null;

    function save() {
      timer = null;
      if (!dirty || stopped || inflight) return;
      dirty = false;
      status.textContent = "Saving…";
      inflight = fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: { "X-Autosave": "1" },
        credentials: "same-origin",
      })
        .then(function (response) {
          return response.json().then(function (body) {
            if (response.ok) {
              status.textContent = "Draft saved at " + body.saved;
              if (body.version) {
                document.querySelectorAll('input[name="version"]').forEach(function (input) {
                  input.value = body.version;
                });
              }
            } else {
              dirty = true;
              if (response.status === 409) stopped = true;
              status.textContent = body.error || "Not saved: check the fields marked when you press Save.";
            }
          });
        })
        .catch(function () {
          dirty = true;
          status.textContent = "Not saved (connection lost); will try again.";
        })
        .finally(function () {
          inflight = null;
        });
    }

    // Any form sent from this page (Save, Sign, Add site...) carries on normally: the
    // note's own fields are saved by its Save button, so nothing is pending any more.
    // While a save is on its way, the form waits for it, so it sends the new version.
    document.addEventListener("submit", function (event) {
      if (timer) clearTimeout(timer);
      timer = null;
      dirty = false;
      var sent = event.target;
      if (inflight && sent instanceof HTMLFormElement && (sent.method || "").toLowerCase() === "post") {
        event.preventDefault();
        var submitter = event.submitter;
        inflight.then(function () {
          sent.requestSubmit(submitter || undefined);
        });
      }
    }, true);

    form.addEventListener("input", function () {
      dirty = true;
      if (timer) clearTimeout(timer);
      if (!stopped) timer = setTimeout(save, 1500);
    });
    window.addEventListener("beforeunload", function (event) {
      if (dirty) {
        if (!stopped) save();
        event.preventDefault();
      }
    });
  });
})();
