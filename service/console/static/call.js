// The demonstration call: each step asks the console what the call plays (the same flow as a real call),
// plays the recordings in order, then waits for a key (15 s, as a real call does) or follows the silence.
(function () {
  var box = document.querySelector(".call-demo");
  if (!box) return;
  var screen = document.getElementById("call-screen"), audio = document.getElementById("call-audio");
  var kind = document.getElementById("call-kind"), language = document.getElementById("call-language");
  var pickup = document.getElementById("call-pickup");
  var WAIT_MS = 15000;
  var call = 0, current = null, queue = [], timer = null;

  function say(text) { screen.textContent = text; }

  function stop() {
    call += 1; current = null; queue = []; clearTimeout(timer);
    audio.pause(); audio.removeAttribute("src"); pickup.disabled = true;
  }

  function step(name, key) {
    var mine = call;
    clearTimeout(timer); audio.pause(); current = null;
    fetch(box.dataset.callUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": box.dataset.csrf},
      body: JSON.stringify({kind: kind.value, language: language.value, step: name, key: key || ""})
    }).then(function (response) {
      if (!response.ok) throw new Error(response.status);
      return response.json();
    }).then(function (answer) {
      if (mine !== call) return;  // hung up meanwhile
      if (name === "start" && !answer.recorded) { say(box.dataset.missing); stop(); return; }
      current = answer; queue = answer.plays.slice();
      say(box.dataset.playing);
      next();
    }).catch(function () { if (mine === call) { say(box.dataset.error); stop(); } });
  }

  function next() {
    if (queue.length) {
      audio.src = queue.shift();
      audio.play().catch(next);
      return;
    }
    if (current && current.gather) {
      say(box.dataset.waiting);
      timer = setTimeout(function () { silence(); }, WAIT_MS);
    } else {
      silence();
    }
  }

  function silence() {
    if (current && current.redirect) { step(current.redirect, ""); return; }
    say(box.dataset.ended); stop();
  }

  audio.addEventListener("ended", next);
  audio.addEventListener("error", function () { if (audio.getAttribute("src")) next(); });

  document.getElementById("call-ring").addEventListener("click", function () {
    stop(); say(box.dataset.ringing); pickup.disabled = false;
  });
  pickup.addEventListener("click", function () { pickup.disabled = true; step("start", ""); });
  document.getElementById("call-hangup").addEventListener("click", function () { stop(); say(box.dataset.ended); });
  box.querySelectorAll(".call-key").forEach(function (button) {
    button.addEventListener("click", function () {
      if (current && current.gather) { queue = []; step(current.gather, button.dataset.key); }
    });
  });
})();
