// Small progressive enhancements for every page. No inline handlers: the pages can run under a
// Content-Security-Policy without 'unsafe-inline'.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  // The language menu submits itself when changed; the button stays for browsers without JS.
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () {
      if (select.form.requestSubmit) {
        select.form.requestSubmit();
      } else {
        select.form.submit();
      }
    });
  });
})();
