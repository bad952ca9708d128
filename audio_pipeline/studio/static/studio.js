/* The studio's own script: the programme player's cues and a render's live progress.
   No inline script anywhere (the Content-Security-Policy allows only files of the studio);
   everything from the server is set as text, never as HTML. */
(function () {
  "use strict";

  function seekable(player) {
    var buttons = Array.prototype.slice.call(document.querySelectorAll("button.cue"));
    buttons.forEach(function (button) {
      button.addEventListener("click", function () {
        player.currentTime = parseFloat(button.getAttribute("data-start"));
        var started = player.play();
        if (started && started.catch) { started.catch(function () {}); }
      });
    });
    player.addEventListener("timeupdate", function () {
      var now = player.currentTime;
      buttons.forEach(function (button) {
        var start = parseFloat(button.getAttribute("data-start"));
        var end = parseFloat(button.getAttribute("data-end"));
        var playing = now >= start && now < end;
        button.closest("tr").classList.toggle("playing", playing);
        if (playing) { button.setAttribute("aria-current", "true"); } else { button.removeAttribute("aria-current"); }
      });
    });
  }

  function follow(box) {
    var log = document.getElementById("progress-log");
    var bar = document.getElementById("progress-bar");
    var state = document.getElementById("progress-state");
    var source = new EventSource(box.getAttribute("data-events"));
    function line(text, kind) {
      var item = document.createElement("li");
      item.textContent = text;
      if (kind) { item.className = kind; }
      log.appendChild(item);
    }
    ["stage", "clip", "warn"].forEach(function (kind) {
      source.addEventListener(kind, function (event) {
        var data = JSON.parse(event.data);
        line(data.text, kind);
        if (kind === "clip" && data.total) {
          bar.max = data.total;
          bar.value = data.done;
        }
        if (kind === "stage") { state.textContent = "Rendering: " + data.text; }
      });
    });
    source.addEventListener("end", function (event) {
      var data = JSON.parse(event.data);
      source.close();
      state.textContent = data.ok ? "Rendered." : "The render failed.";
      (data.lines || []).forEach(function (text) { line(text, data.ok ? "" : "warn"); });
      window.setTimeout(function () { window.location.reload(); }, 600);
    });
    source.addEventListener("idle", function () { source.close(); });
  }

  function start() {
    var player = document.getElementById("programme-player");
    if (player) { seekable(player); }
    var box = document.getElementById("progress");
    if (box && box.getAttribute("data-running") === "yes") { follow(box); }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
