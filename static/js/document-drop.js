// Documents: files dropped on the upload form go into its file input, as if chosen.
// A progressive enhancement: without it the plain file input works the same.
(function () {
  "use strict";
  document.querySelectorAll("form.doc-upload").forEach(function (form) {
    var input = form.querySelector('input[type="file"]');
    if (!input) {
      return;
    }
    var depth = 0;
    form.addEventListener("dragenter", function (event) {
      event.preventDefault();
      depth += 1;
      form.classList.add("doc-drop-over");
    });
    form.addEventListener("dragover", function (event) {
      event.preventDefault();
    });
    form.addEventListener("dragleave", function () {
      depth -= 1;
      if (depth <= 0) {
        depth = 0;
        form.classList.remove("doc-drop-over");
      }
    });
    form.addEventListener("drop", function (event) {
      event.preventDefault();
      depth = 0;
      form.classList.remove("doc-drop-over");
      if (event.dataTransfer && event.dataTransfer.files.length) {
        input.files = event.dataTransfer.files;
        input.dispatchEvent(new Event("change", { bubbles: true }));
        input.focus();
      }
    });
  });
})();
