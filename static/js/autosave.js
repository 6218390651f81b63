// Saves a draft form in the background while the physiotherapist types.
// The form works without this script (its Save button posts normally).
//
// Every chart form sends the draft's version (a hidden "version" field); a save answers
// with the new one, which this script puts in every form of the page, so the page's own
// writes never look stale. A 409 means the draft was changed elsewhere (another tab,
// someone else) or signed: the message is shown and autosaving stops; the typing stays,
// and the next form sent from the page sends the note instead, so the server answers
// with the conflict and the note as typed. A lost connection or an ended session keeps
// the typing and tries again, waiting longer each time.
(function () {
  "use strict";
  var ENDED = "Your session has ended; sign in again in another tab — your typing is still here.";
  var FIRST_RETRY_MS = 2000;
  var LAST_RETRY_MS = 30000;

  // Site rows changed in place (templates/sessions/_chart_sites.html): their typing is
  // not the note's, so it is kept track of here, by row form, until that row is sent.
  var typedRows = new Set();
  function rowOf(field) {
    var owner = field && field.form;
    return owner && owner.hasAttribute("data-site-row") ? owner : null;
  }
  function trackRow(event) {
    var row = rowOf(event.target);
    if (row) typedRows.add(row);
  }
  document.addEventListener("input", trackRow, true);
  document.addEventListener("change", trackRow, true);
  document.addEventListener("submit", function (event) {
    var sent = event.target;
    typedRows.delete(sent);
    if (!typedRows.size || (sent.method || "").toLowerCase() !== "post") return;
    var names = Array.from(typedRows, function (row) { return row.dataset.siteRow; });
    if (window.confirm("Your changes to " + names.join(", ") + " are not saved yet. " +
        "Send this form anyway and lose them? (Cancel to go back and press the row's Save.)")) {
      typedRows.clear();
      return;
    }
    event.preventDefault();
    event.stopImmediatePropagation();
    var first = document.querySelector('[form="' + typedRows.values().next().value.id + '"]');
    if (first) first.focus();
  }, true);
  window.addEventListener("beforeunload", function (event) {
    if (typedRows.size) event.preventDefault();
  });

  // The sign bar's list of what still blocks signing (templates/sessions/_sign_bar.html),
  // as a save's answer gives it ("blockers": [{message, anchor}], the server's word):
  // redrawn only when it changed, so its live region speaks only of a change.
  function listed(box) {
    return Array.from(box.querySelectorAll("li a"), function (a) {
      return a.getAttribute("href") + " " + a.textContent;
    }).join("\n");
  }
  function showBlockers(blockers) {
    var box = document.getElementById("sign-problems");
    if (!box || !Array.isArray(blockers)) return;
    var wanted = blockers.map(function (b) { return "#" + b.anchor + " " + b.message; }).join("\n");
    if (wanted === listed(box) && !box.classList.contains("alert-danger")) return;
    box.textContent = "";
    box.classList.remove("alert", "alert-danger", "alert-warning");
    box.setAttribute("role", "status");
    var heading = document.createElement("p");
    if (!blockers.length) {
      heading.className = "mb-0";
      heading.textContent = "Nothing stands in the way of signing.";
      box.appendChild(heading);
      return;
    }
    box.classList.add("alert", "alert-warning");
    heading.className = "mb-1 fw-semibold";
    heading.textContent = "Before signing:";
    var list = document.createElement("ul");
    list.className = "mb-0";
    blockers.forEach(function (b) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = "#" + b.anchor;
      link.textContent = b.message;
      item.appendChild(link);
      list.appendChild(item);
    });
    box.appendChild(heading);
    box.appendChild(list);
  }

  document.querySelectorAll("form[data-autosave]").forEach(function (form) {
    var status = document.getElementById(form.dataset.autosave);
    var timer = null;
    var dirty = false;
    var stopped = false;
    var inflight = null;
    var retryMs = FIRST_RETRY_MS;

    function retryLater(message) {
      dirty = true;
      status.textContent = message;
      if (timer) clearTimeout(timer);
      timer = setTimeout(save, retryMs);
      retryMs = Math.min(retryMs * 2, LAST_RETRY_MS);
    }

    // keepalive: a save started as the page goes away still reaches the server.
    function save(keepalive) {
      timer = null;
      if (!dirty || stopped || inflight) return;
      dirty = false;
      status.textContent = "Saving…";
      inflight = fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: { "X-Autosave": "1" },
        credentials: "same-origin",
        keepalive: keepalive === true,
      })
        .then(function (response) {
          var type = response.headers.get("Content-Type") || "";
          if (response.redirected || type.indexOf("application/json") === -1) {
            retryLater(ENDED);  // the login page, not the draft's answer
            return;
          }
          return response.json().then(function (body) {
            if (response.ok) {
              retryMs = FIRST_RETRY_MS;
              status.textContent = "Draft saved at " + body.saved;
              if (body.version) {
                document.querySelectorAll('input[name="version"]').forEach(function (input) {
                  input.value = body.version;
                });
              }
              showBlockers(body.blockers);
            } else {
              dirty = true;
              if (response.status === 409) stopped = true;
              status.textContent = body.error || "Not saved: check the fields marked when you press Save.";
            }
          });
        })
        .catch(function () {
          retryLater("Not saved (connection lost); will try again.");
        })
        .finally(function () {
          inflight = null;
        });
    }

    // Another form sent from this page (Sign, Add site, a site row...) waits for the
    // note's pending typing to be saved first, so Sign needs no "Save draft" before it
    // and sends the new version. If that save is refused or stopped (a conflict), the
    // note itself is sent the ordinary way, so the page comes back with its fields
    // marked or the conflict and the typing shown; nothing else is sent. A press is
    // never swallowed. Without this script, "Save draft" saves the note (the server
    // checks Sign as ever).
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
        } else {
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
        if (!stopped) save(true);
        event.preventDefault();
      }
    });
  });
})();
