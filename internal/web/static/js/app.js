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
