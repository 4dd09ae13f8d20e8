// Warns a signed-in user 5 minutes before their session would time out.
//
// The page says how many seconds were left when it was made; this counts down from
// that, checks /session/status now and then (which does not count as activity, so it
// cannot keep a session alive by itself), and shows the warning in time. "Stay signed
// in" posts the page's form, which extends the session; without JavaScript nothing shows.

const CHECK_EVERY_MS = 60 * 1000;
const TICK_MS = 1000;

function minutesText(seconds) {
  if (seconds < 60) {
    return "less than a minute";
  }
  const minutes = Math.ceil(seconds / 60);
  return minutes === 1 ? "1 minute" : `${minutes} minutes`;
}

function start(warning) {
  const warnSeconds = Number(warning.dataset.warnSeconds);
  const statusUrl = warning.dataset.statusUrl;
  const time = warning.querySelector("#session-warning-time");
  let deadline = Date.now() + Number(warning.dataset.secondsLeft) * 1000;
  let shownText = "";

  function show(secondsLeft) {
    const text = minutesText(secondsLeft);
    if (text !== shownText) {
      time.textContent = text;
      shownText = text;
    }
    if (warning.hidden) {
      warning.hidden = false;
      warning.querySelector("#stay-signed-in").focus();
    }
  }

  function tick() {
    const secondsLeft = Math.max(0, Math.round((deadline - Date.now()) / 1000));
    if (secondsLeft === 0) {
      window.location.assign("/sign-in");
    } else if (secondsLeft <= warnSeconds) {
      show(secondsLeft);
    }
  }

  async function check() {
    try {
      const response = await fetch(statusUrl, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      if (response.status === 401) {
        window.location.assign("/sign-in");
        return;
      }
      if (response.ok) {
        const status = await response.json();
        deadline = Date.now() + status.seconds_left * 1000;
      }
    } catch {
      // Offline for a moment: keep counting down from what we knew.
    }
  }

  tick();
  window.setInterval(tick, TICK_MS);
  window.setInterval(check, CHECK_EVERY_MS);
}

const warning = document.getElementById("session-warning");
if (warning) {
  start(warning);
}
