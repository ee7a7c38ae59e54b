// Confirms the address with the token of the mailed link (`/verify-email?token=…`) by calling
// `POST /api/auth/verify-email` on this same origin, and shows the outcome. Minimal on purpose:
// the web app replaces this page.
(function () {
  "use strict";
  var status = document.getElementById("status");
  function show(text, kind) {
    status.textContent = text;
    status.className = kind;
  }
  var token = new URLSearchParams(window.location.search).get("token");
  // Keep the token out of the history and of any later Referer.
  if (window.history && window.history.replaceState) {
    window.history.replaceState(null, "", window.location.pathname);
  }
  if (!token) {
    show("This link has no token. Open the link from the mail exactly as it was sent.", "error");
    return;
  }
  fetch("/api/auth/verify-email", {
    method: "POST",
    headers: { "Content-Type": "application/json", "Accept": "application/json" },
    body: JSON.stringify({ token: token }),
    credentials: "omit",
    cache: "no-store"
  })
    .then(function (response) {
      if (response.ok) {
        show("Your email address is verified. You can close this page and sign in.", "ok");
      } else if (response.status === 400) {
        show("This link is invalid, expired or already used. Sign in and ask for a new verification mail.", "error");
      } else if (response.status === 429) {
        var retry = response.headers.get("Retry-After");
        show("Too many attempts. Try again" + (retry ? " in " + retry + " seconds." : " later."), "error");
      } else {
        show("Verification failed (" + response.status + "). Try again later.", "error");
      }
    })
    .catch(function () {
      show("The server could not be reached. Check your connection and reload this page.", "error");
    });
})();
