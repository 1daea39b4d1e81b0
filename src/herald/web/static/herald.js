// Herald: progressive citation popovers. Without JS, CSS shows passages on hover and focus.
(function () {
  "use strict";
  function closeAll(except) {
    document.querySelectorAll(".cite.open").forEach(function (el) {
      if (el !== except) { el.classList.remove("open"); }
    });
  }
  function place(cite) {
    var pop = cite.querySelector(".cite-pop");
    if (!pop) { return; }
    pop.classList.remove("flip");
    var rect = pop.getBoundingClientRect();
    if (rect.right > window.innerWidth - 8) { pop.classList.add("flip"); }
  }
  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest(".cite-link") : null;
    if (!link) { closeAll(null); return; }
    var cite = link.parentElement;
    if (!cite.classList.contains("open")) {
      event.preventDefault();  // first click shows the passage, a second opens the source
      closeAll(cite);
      cite.classList.add("open");
      place(cite);
    }
  });
  document.addEventListener("mouseover", function (event) {
    var cite = event.target.closest ? event.target.closest(".cite") : null;
    if (cite) { place(cite); }
  });
  document.addEventListener("focusin", function (event) {
    var cite = event.target.closest ? event.target.closest(".cite") : null;
    if (cite) { place(cite); }
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { closeAll(null); }
  });
})();
