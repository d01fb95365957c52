/* Behaviour shared by every page; the CSP allows scripts only from this site, so nothing is inline. */
(function () {
  "use strict";
  // Mark that scripts run, so the phone layout may fold the navigation behind its button.
  document.documentElement.classList.add("js");

  function setUpNavigation() {
    var toggle = document.querySelector(".nav-toggle");
    var nav = document.getElementById("site-nav");
    if (!toggle || !nav) {
      return;
    }
    toggle.addEventListener("click", function () {
      var open = nav.classList.toggle("open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && nav.classList.contains("open")) {
        nav.classList.remove("open");
        toggle.setAttribute("aria-expanded", "false");
        toggle.focus();
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUpNavigation);
  } else {
    setUpNavigation();
  }
})();
