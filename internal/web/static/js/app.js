// Hallmark's only first-party script. The CSP forbids inline script, so
// behaviour that pages need is attached here through data attributes.
(function () {
  "use strict";
  // <form data-confirm="message"> asks before submitting.
  document.addEventListener("submit", function (e) {
    var msg = e.target && e.target.getAttribute && e.target.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) {
      e.preventDefault();
    }
  }, true);
  // <select data-autosubmit> submits its form on change (filters).
  document.addEventListener("change", function (e) {
    var el = e.target;
    if (el && el.hasAttribute && el.hasAttribute("data-autosubmit") && el.form) {
      el.form.requestSubmit ? el.form.requestSubmit() : el.form.submit();
    }
  });
  // <input data-copy> selects its whole text on focus, for one-time tokens.
  document.addEventListener("focusin", function (e) {
    if (e.target && e.target.hasAttribute && e.target.hasAttribute("data-copy")) {
      e.target.select();
    }
  });
})();

// Charts: <div data-chart='{ECharts option JSON}'> is drawn with the
// vendored Apache ECharts when the page has loaded it. Options travel as
// data, never as inline script, so the CSP stays strict.
(function () {
  "use strict";
  function draw(root) {
    if (!window.echarts) { return; }
    var els = (root || document).querySelectorAll("[data-chart]");
    for (var i = 0; i < els.length; i++) {
      var el = els[i];
      if (el.getAttribute("data-drawn")) { continue; }
      try {
        var chart = window.echarts.init(el, null, { renderer: "svg" });
        chart.setOption(JSON.parse(el.getAttribute("data-chart")));
        el.setAttribute("data-drawn", "1");
        window.addEventListener("resize", chart.resize);
      } catch (e) {
        el.textContent = el.getAttribute("data-chart-error") || "";
      }
    }
  }
  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  document.addEventListener("htmx:afterSwap", function (e) { draw(e.target); });
})();

// <button data-print> prints the page (bulletins print as A4 notices).
document.addEventListener("click", function (e) {
  var el = e.target && e.target.closest && e.target.closest("[data-print]");
  if (el) { window.print(); }
});
