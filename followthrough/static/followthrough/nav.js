// The header's menus, the search box's answers and the customer pickers. A file, not
// inline script, because the Content-Security-Policy allows no inline script. Without it
// the menu shows in full, the search box opens the results page and a picker sends the
// typed name to be looked up on the server.
document.documentElement.classList.add("js");

(function () {
  "use strict";

  function target(button) { return document.getElementById(button.getAttribute("aria-controls")); }

  function setOpen(button, open) {
    button.setAttribute("aria-expanded", open ? "true" : "false");
    var panel = target(button);
    if (panel) { panel.classList.toggle("is-open", open); }
  }

  function closeMenus(except) {
    document.querySelectorAll("[data-menu-button][aria-expanded='true']").forEach(function (b) {
      if (b !== except) { setOpen(b, false); }
    });
  }

  function results() { return document.getElementById("site-search-results"); }

  function hideResults() { var r = results(); if (r) { r.hidden = true; } }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-menu-button]");
    if (button) {
      closeMenus(button);
      setOpen(button, button.getAttribute("aria-expanded") !== "true");
      return;
    }
    var pick = event.target.closest("[data-pick]");
    if (pick) { choose(pick); return; }
    // A click elsewhere closes the account list and the search answers.
    if (!event.target.closest(".who, .menu")) {
      closeMenus(document.querySelector(".menu-button"));
    }
    if (!event.target.closest("[data-site-search]")) { hideResults(); }
  });

  function choose(pick) {
    var picker = pick.closest("[data-picker]");
    var box = picker.querySelector("input[type=search]");
    picker.querySelector("[data-picked]").value = pick.getAttribute("data-pick");
    box.value = pick.getAttribute("data-name");
    var chosen = picker.querySelector("[data-chosen]");
    var detail = pick.querySelector(".muted");
    chosen.textContent = "Chosen: " + pick.getAttribute("data-name") +
      (detail ? " (" + detail.textContent.trim() + ")" : "");
    chosen.hidden = false;
    picker.querySelector(".picker-choices").innerHTML = "";
    box.focus();
  }

  document.addEventListener("input", function (event) {
    var picker = event.target.closest("[data-picker]");
    if (picker && event.target.type === "search") {
      // Typing again undoes the choice until a new one is made.
      picker.querySelector("[data-picked]").value = "";
      picker.querySelector("[data-chosen]").hidden = true;
    }
    if (event.target.closest("[data-site-search]")) {
      var r = results();
      if (r) { r.hidden = false; }
    }
  });

  // Up and down move through the answers; Escape closes what is open and goes back.
  function stops(container) {
    return Array.prototype.slice.call(container.querySelectorAll("a[href], button"));
  }

  document.addEventListener("keydown", function (event) {
    var area = event.target.closest("[data-site-search], [data-picker]");
    if (event.key === "Escape") {
      var open = document.querySelector("[data-menu-button][aria-expanded='true']");
      if (area) {
        var box = area.querySelector("input[type=search]");
        hideResults();
        var choices = area.querySelector(".picker-choices");
        if (choices) { choices.innerHTML = ""; }
        box.focus();
      } else if (open) {
        setOpen(open, false);
        open.focus();
      }
      return;
    }
    if (area && event.key === "Enter" && area.matches("[data-picker]") &&
        event.target.type === "search") {
      // Enter takes the first choice instead of sending the whole form half-filled.
      var first = area.querySelector(".picker-choices [data-pick]");
      if (first) { event.preventDefault(); choose(first); }
      return;
    }
    if (!area || (event.key !== "ArrowDown" && event.key !== "ArrowUp")) { return; }
    var list = stops(area.querySelector(".site-search-results, .picker-choices"));
    if (!list.length) { return; }
    var at = list.indexOf(document.activeElement);
    var next = event.key === "ArrowDown" ? at + 1 : at - 1;
    event.preventDefault();
    if (next < 0) { area.querySelector("input[type=search]").focus(); return; }
    list[Math.min(next, list.length - 1)].focus();
  });
})();
