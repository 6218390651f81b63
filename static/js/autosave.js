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

    // Another form sent from this page (Sign, Add site, a site row...) waits for the
    // note's pending typing to be saved first, so Sign needs no "Save draft" before it
    // and sends the new version. If that save is refused, the note itself is sent the
    // ordinary way, so the page comes back with its fields marked; nothing is signed.
    // Without this script, "Save draft" saves the note (the server checks Sign as ever).
    document.addEventListener("submit", function (event) {
      if (timer) clearTimeout(timer);
      timer = null;
      var sent = event.target;
      var submitter = event.submitter;
      if (sent === form) {  // its own Save: after a save on its way, with the new version
        dirty = false;
        if (inflight) {
          event.preventDefault();
          inflight.then(function () {
            form.requestSubmit(submitter || undefined);
          });
        }
        return;
      }
      if (!(sent instanceof HTMLFormElement) || (sent.method || "").toLowerCase() !== "post") return;
      if (!dirty && !inflight) return;
      event.preventDefault();
      flush().then(function (saved) {
        if (saved) {
          sent.requestSubmit(submitter || undefined);
        } else if (!stopped) {
          form.requestSubmit(form.querySelector('button[type="submit"]') || undefined);
        }
      });
    }, true);

    function flush() {
      var waiting = inflight || Promise.resolve();
      return waiting.then(function () {
        if (!dirty) return !stopped;
        save();
        return (inflight || Promise.resolve()).then(function () {
          return !dirty && !stopped;
        });
      });
    }

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
