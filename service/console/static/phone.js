// The trainers' phone: each answer is added to the session's `text` (joined by `*`), as a network does.
(function () {
  var phone = document.querySelector(".phone[data-dial-url]");
  if (!phone) return;
  var screen = document.getElementById("screen"), entry = document.getElementById("entry");
  var ended = document.getElementById("ended"), trainee = document.getElementById("trainee");
  var answers = null, session = phone.dataset.session, calls = 0;

  function dial(text) {
    return fetch(phone.dataset.dialUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": phone.dataset.csrf},
      body: JSON.stringify({phone: trainee.value, session_id: session + "-" + calls, text: text})
    }).then(function (response) {
      if (!response.ok) throw new Error(response.status);
      return response.json();
    });
  }

  function show(reply) {
    screen.textContent = reply.reply;
    ended.hidden = !reply.end;
    if (reply.end) answers = null;
  }

  document.getElementById("send").addEventListener("click", function () {
    var text;
    if (answers === null) {  // a new call: the dial code opens the menu
      answers = []; calls += 1; text = "";
    } else {
      answers.push(entry.value); text = answers.join("*");
    }
    entry.value = "";
    dial(text).then(show).catch(function () { screen.textContent = phone.dataset.error; answers = null; });
  });
  document.getElementById("erase").addEventListener("click", function () { entry.value = entry.value.slice(0, -1); });
  document.getElementById("hangup").addEventListener("click", function () {
    answers = null; entry.value = ""; ended.hidden = false;
  });
  phone.querySelectorAll(".key").forEach(function (key) {
    key.addEventListener("click", function () { entry.value += key.dataset.key; });
  });
})();
