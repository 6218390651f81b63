// The chart's links to a section or a field (section links, the blockers, the sign
// bar's reasons): following one puts the keyboard focus there, not only the view.
// Without this script the browser still scrolls to it.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest('.chart a[href^="#"]');
    if (!link) return;
    var target = document.getElementById(decodeURIComponent(link.hash.slice(1)));
    if (!target) return;
    if (target.tabIndex < 0 && !target.hasAttribute("tabindex")) target.setAttribute("tabindex", "-1");
    event.preventDefault();
    history.replaceState(null, "", link.hash);
    target.scrollIntoView({ block: "center" });
    target.focus({ preventScroll: true });
  });
})();
