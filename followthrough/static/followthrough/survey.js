// One-tap score. A score button in the email opened this page with ?nps=N; the page
// shows that score chosen and records it here, with a POST. A mail scanner that only
// fetches the link (GET) records nothing. Without script, the form's button does the same.
// The customer can still change the score or add a comment below: Send updates the same
// answer.
(function () {
  "use strict";
  var form = document.getElementById("one-tap");
  if (!form || !window.fetch || !window.URLSearchParams) {
    return;
  }
  var status = document.getElementById("one-tap-status");
  var button = document.getElementById("one-tap-send");
  var score = form.elements.one_tap.value;

  function saved() {
    status.textContent = "Thank you: your score of " + score + " is saved. " +
      "Add a comment or change it below, then press Send my answers.";
    button.parentNode.removeChild(button);
  }

  function failed() {
    status.textContent = "We couldn't save your score just now. " +
      "Press the button to try again.";
  }

  button.disabled = true;
  fetch(window.location.pathname, {
    method: "POST",
    body: new URLSearchParams(new FormData(form)),
    credentials: "omit",
    headers: {"X-Survey-One-Tap": "fetch"}
  }).then(function (response) {
    button.disabled = false;
    if (response.status === 204) {
      saved();
    } else {
      failed();
    }
  }, function () {
    button.disabled = false;
    failed();
  });
})();
