// Undo is offered for a few seconds after Done, Skip, Approve or Resolve. The server
// decides (it refuses a late undo); this only takes the button away when its time is up,
// so nobody presses a button that can no longer work.
(function () {
  function expire(root) {
    root.querySelectorAll("[data-undo-seconds]").forEach(function (line) {
      if (line.dataset.undoTimer) return;
      line.dataset.undoTimer = "1";
      var seconds = parseInt(line.dataset.undoSeconds, 10) || 10;
      setTimeout(function () {
        var form = line.querySelector("form");
        if (form) form.replaceWith(document.createTextNode("can no longer be undone"));
      }, seconds * 1000);
    });
  }
  document.addEventListener("DOMContentLoaded", function () { expire(document); });
  document.addEventListener("htmx:afterSettle", function (event) { expire(event.target); });
})();
