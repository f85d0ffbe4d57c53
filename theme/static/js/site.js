/* The elderly-friendly mode (适老化): larger text and high contrast, remembered.
   Loaded in <head> so the choice applies before the page is drawn. Reading the
   site needs no JavaScript; without it the switch stays hidden. */
(function () {
  "use strict";
  var KEY = "elder-mode";
  var root = document.documentElement;
  try {
    if (window.localStorage.getItem(KEY) === "1") {
      root.classList.add("elder");
    }
  } catch (e) { /* storage blocked: the mode just is not remembered */ }

  document.addEventListener("DOMContentLoaded", function () {
    var button = document.querySelector(".elder-toggle");
    if (!button) {
      return;
    }
    function sync() {
      button.setAttribute("aria-pressed", root.classList.contains("elder") ? "true" : "false");
    }
    button.hidden = false;
    sync();
    button.addEventListener("click", function () {
      var on = root.classList.toggle("elder");
      try {
        window.localStorage.setItem(KEY, on ? "1" : "0");
      } catch (e) { /* see above */ }
      sync();
    });
  });
}());
