// The order desk's only script. Everything works without it; it adds two things:
// clicking a field ([data-source]) scrolls the original document to where the value came from
// and flashes it, and forms with data-confirm ask before they are sent.
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("[data-source]") : null;
    if (!link) {
      return;
    }
    var target = document.getElementById(link.getAttribute("data-source"));
    if (!target) {
      return;
    }
    event.preventDefault();
    target.scrollIntoView({ behavior: "smooth", block: "center", inline: "nearest" });
    var previous = document.querySelectorAll(".is-pointed");
    for (var i = 0; i < previous.length; i += 1) {
      previous[i].classList.remove("is-pointed");
    }
    target.classList.add("is-pointed");
    if (window.history && window.history.replaceState) {
      window.history.replaceState(null, "", "#" + target.id);
    }
  });

  document.addEventListener("submit", function (event) {
    if (event.defaultPrevented) {
      return; // htmx sends it (a boosted form), and desk-keys.js asked on htmx:confirm
    }
    var question = event.target.getAttribute && event.target.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });
})();
