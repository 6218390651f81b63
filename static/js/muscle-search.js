// Progressive enhancement of the chart's "Find a muscle" search: the muscle select lists
// what matches while you type. Without this script the search reloads the chart with
// ?muscle=, and the server narrows the select the same way (sessions/charting/
// muscle_search.py: every word must match; "L5" or "L4-L5" matches the muscles whose
// roots include one of those segments; other words match the start of a word of the
// name, abbreviation or region; case and accents are ignored).
(function () {
  "use strict";
  var SEGMENTS = [];
  [["C", 8], ["T", 12], ["L", 5], ["S", 5]].forEach(function (r) {
    for (var n = 1; n <= r[1]; n++) SEGMENTS.push(r[0] + n);
  });
  var RANGE = /^([CTLS])(\d{1,2})(?:-([CTLS])?(\d{1,2}))?$/i;

  function fold(text) {
    return text.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase()
      .replace(/['’‘ʼ`´\-‐‑‒–—]/g, "").replace(/[^\p{L}\p{N}]+/gu, " ").trim();
  }

  function segments(term) {
    var m = RANGE.exec(term);
    if (!m) return null;
    var start = SEGMENTS.indexOf(m[1].toUpperCase() + Number(m[2]));
    if (start < 0) return null;
    var end = start;
    if (m[4] !== undefined) {
      end = SEGMENTS.indexOf((m[3] || m[1]).toUpperCase() + Number(m[4]));
      if (end < 0) return null;
    }
    return SEGMENTS.slice(Math.min(start, end), Math.max(start, end) + 1);
  }

  function terms(query) {
    var out = [];
    query.trim().replace(/\s*[-–—]\s*/g, "-").split(/\s+/).forEach(function (raw) {
      if (!raw) return;
      if (RANGE.test(raw)) out.push(raw.toUpperCase());
      else fold(raw).split(" ").forEach(function (w) { if (w) out.push(w); });
    });
    return out;
  }

  function matches(option, wanted) {
    var words = (option.dataset.words || "").split(" ");
    var roots = (option.dataset.roots || "").split(" ");
    return wanted.every(function (term) {
      var segs = segments(term);
      if (segs) return segs.some(function (s) { return roots.indexOf(s) >= 0; });
      var t = term.toLowerCase();
      return words.some(function (w) { return w.indexOf(t) === 0; });
    });
  }

  document.querySelectorAll("form[data-muscle-search]").forEach(function (form) {
    var select = document.getElementById(form.dataset.muscleSearch);
    var input = form.querySelector('input[name="muscle"]');
    var count = form.querySelector('[role="status"]');
    if (!select || !input) return;
    // Every option as the page came, so options taken out can come back in order.
    var groups = Array.prototype.map.call(select.querySelectorAll("optgroup"), function (g) {
      return { group: g, options: Array.prototype.slice.call(g.querySelectorAll("option")) };
    });
    select.setAttribute("aria-describedby",
      ((select.getAttribute("aria-describedby") || "") + " " + count.id).trim());

    function filter() {
      var wanted = terms(input.value);
      var shown = 0;
      groups.forEach(function (g) {
        var kept = g.options.filter(function (o) { return o.selected || matches(o, wanted); });
        g.group.replaceChildren.apply(g.group, kept);
        g.group.hidden = kept.length === 0;
        shown += kept.filter(function (o) { return matches(o, wanted); }).length;
      });
      count.textContent = wanted.length
        ? shown + (shown === 1 ? " muscle matches" : " muscles match") + " “" + input.value.trim() + "”."
        : "";
    }

    var timer = null;
    input.addEventListener("input", function () {
      if (timer) clearTimeout(timer);
      timer = setTimeout(filter, 120);
    });
    // Enter in the search box filters in place rather than reloading the chart.
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      filter();
      select.focus();
    });
  });
})();
