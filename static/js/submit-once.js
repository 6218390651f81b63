// Progressive enhancement: a form's submit buttons go inactive once it is sent, so a
// double click sends it once. Without JavaScript the form still works, and the server's
// one-time form token (clinic/once.py) still turns a resend into a visit to the result.
(function () {
  "use strict";

  // The form's own submit buttons and those tied to it from elsewhere (form="...", such
  // as the chart's sign bar): form.elements holds both.
  function buttons(form) {
    return Array.prototype.filter.call(form.elements, function (element) {
      return element.type === "submit" && (element.tagName === "BUTTON" || element.tagName === "INPUT");
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || !(form instanceof HTMLFormElement) ||
        (form.method || "").toLowerCase() !== "post") {
      return;
    }
    if (form.dataset.sending === "1") {
      event.preventDefault();  // already on its way
      return;
    }
    form.dataset.sending = "1";
    // A disabled button's name is not sent; keep which button was pressed ("Save for later").
    var submitter = event.submitter;
    if (submitter && submitter.name) {
      var pressed = document.createElement("input");
      pressed.type = "hidden";
      pressed.name = submitter.name;
      pressed.value = submitter.value;
      pressed.dataset.submitOnce = "1";
      form.appendChild(pressed);
    }
    // After the browser has taken the submission, not before (it would cancel it).
    window.setTimeout(function () {
      buttons(form).forEach(function (button) {
        button.disabled = true;
        button.setAttribute("aria-disabled", "true");
      });
    }, 0);
  });

  // Back to a page kept in the browser's history: make its forms usable again.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll('form[data-sending="1"]').forEach(function (form) {
      delete form.dataset.sending;
      form.querySelectorAll('input[data-submit-once="1"]').forEach(function (input) {
        input.remove();
      });
      buttons(form).forEach(function (button) {
        button.disabled = false;
        button.removeAttribute("aria-disabled");
      });
    });
  });
})();
