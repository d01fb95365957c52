/* Upload a list with a progress bar, then follow the server's processing until the version page (Art 10-18).
   Without this script the form posts as usual; the CSP allows scripts only from this site. */
(function () {
  "use strict";

  function token() {
    // crypto.getRandomValues works on the plain-http intranet too (randomUUID needs a secure context).
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function setUp() {
    var form = document.querySelector(".upload-form");
    var texts = document.querySelector(".upload-texts");
    if (!form || !texts || !window.XMLHttpRequest || !window.FormData) {
      return;
    }
    var box = form.querySelector(".upload-progress");
    var bar = form.querySelector(".upload-bar");
    var status = form.querySelector(".upload-status");
    var error = form.querySelector(".upload-error");
    var button = form.querySelector("button[type=submit]");
    var fileInput = form.querySelector("input[type=file]");
    var tokenInput = form.querySelector("input[name=progress_token]");
    var poller = null;

    function say(text) { status.textContent = text; }

    function stopPolling() {
      if (poller) { window.clearInterval(poller); poller = null; }
    }

    function fail(message) {
      stopPolling();
      box.hidden = true;
      error.textContent = message;
      error.hidden = false;
      button.disabled = false;
      form.removeAttribute("aria-busy");
    }

    function poll(url) {
      poller = window.setInterval(function () {
        window.fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
          .then(function (r) { return r.ok ? r.json() : null; })
          .then(function (state) {
            if (!state || !poller) { return; }
            bar.value = Math.max(bar.value, Math.round(state.fraction * 100));
            say(texts.getAttribute("data-stage-" + state.stage) || state.label);
          })
          .catch(function () { /* the answer of the upload itself decides; a missed poll changes nothing */ });
      }, 700);
    }

    form.addEventListener("submit", function (event) {
      if (!fileInput.files || fileInput.files.length === 0) {
        return; // let the browser and the server say that a file is required
      }
      event.preventDefault();
      var id = token();
      tokenInput.value = id;
      var data = new FormData(form);
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
      xhr.setRequestHeader("Accept", "application/json");
      error.hidden = true;
      box.hidden = false;
      bar.value = 0;
      button.disabled = true;
      form.setAttribute("aria-busy", "true");
      say(texts.getAttribute("data-uploading") + " 0%");

      xhr.upload.addEventListener("progress", function (e) {
        if (e.lengthComputable) {
          var percent = Math.round((e.loaded / e.total) * 100);
          bar.value = percent;
          say(texts.getAttribute("data-uploading") + " " + percent + "%");
        }
      });
      xhr.upload.addEventListener("load", function () {
        // The bytes are there; the bar now follows the server's stages (read, check, save, compare).
        bar.value = 0;
        say(texts.getAttribute("data-uploaded"));
        poll(form.getAttribute("data-progress-url").replace("TOKEN", id));
      });
      xhr.addEventListener("load", function () {
        var answer = null;
        try { answer = JSON.parse(xhr.responseText); } catch (e) { answer = null; }
        if (answer && answer.redirect) {
          stopPolling();
          bar.value = 100;
          say(texts.getAttribute("data-stage-done"));
          window.location.assign(answer.redirect);
          return;
        }
        fail((answer && answer.message) || texts.getAttribute("data-failed"));
      });
      xhr.addEventListener("error", function () { fail(texts.getAttribute("data-failed")); });
      xhr.addEventListener("abort", function () { fail(texts.getAttribute("data-failed")); });
      xhr.send(data);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
