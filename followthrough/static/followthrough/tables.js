// A wide table scrolls sideways inside its .table-wrap. Keyboard users can only scroll
// what they can focus, so every wrapper becomes a focusable, named region (WCAG 2.1.1).
// Done here once rather than in each template that draws a table; htmx swaps are
// covered too (the import progress table arrives that way).
(function () {
  function label(wrap) {
    var caption = wrap.querySelector("caption");
    var text = caption ? caption.textContent.trim() : "";
    return text || "Table";
  }
  function reachable(root) {
    var wraps = root.querySelectorAll(".table-wrap:not([tabindex])");
    for (var i = 0; i < wraps.length; i++) {
      wraps[i].setAttribute("tabindex", "0");
      wraps[i].setAttribute("role", "region");
      wraps[i].setAttribute("aria-label", label(wraps[i]));
    }
  }
  document.addEventListener("DOMContentLoaded", function () { reachable(document); });
  document.addEventListener("htmx:afterSettle", function () { reachable(document); });
})();
