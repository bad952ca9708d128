(function () {
  var player = document.getElementById("programme-player");
  if (!player) { return; }
  var buttons = Array.prototype.slice.call(document.querySelectorAll("button.cue"));
  function seek(seconds) {
    player.currentTime = seconds;
    var started = player.play();
    if (started && started.catch) { started.catch(function () {}); }
  }
  buttons.forEach(function (button) {
    button.addEventListener("click", function () {
      seek(parseFloat(button.getAttribute("data-start")));
    });
  });
  var wave = document.getElementById("programme-wave");
  if (wave) {
    wave.addEventListener("click", function (event) {
      var box = wave.getBoundingClientRect();
      var total = parseFloat(wave.getAttribute("data-duration"));
      seek(Math.max(0, Math.min(1, (event.clientX - box.left) / box.width)) * total);
    });
  }
  player.addEventListener("timeupdate", function () {
    var now = player.currentTime;
    buttons.forEach(function (button) {
      var start = parseFloat(button.getAttribute("data-start"));
      var end = parseFloat(button.getAttribute("data-end"));
      button.closest("tr").classList.toggle("playing", now >= start && now < end);
    });
  });
})();
