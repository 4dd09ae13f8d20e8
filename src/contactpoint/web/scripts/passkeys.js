// Passkeys (WebAuthn): "Use a passkey instead" when signing in or confirming who you
// are, and "Set up a passkey instead" from a set-up link.
//
// The button stays hidden unless the browser can use passkeys. Pressed, it posts the
// form's token to the options URL, asks the browser (navigator.credentials.get or
// create), puts the answer (JSON) in the form's hidden "credential" field and sends the
// form to the button's action: the server's answer is then an ordinary page.

const CEREMONIES = {
  get: {
    parse: (options) => PublicKeyCredential.parseRequestOptionsFromJSON(options),
    ask: (publicKey) => navigator.credentials.get({ publicKey }),
  },
  create: {
    parse: (options) => PublicKeyCredential.parseCreationOptionsFromJSON(options),
    ask: (publicKey) => navigator.credentials.create({ publicKey }),
  },
};
const COULD_NOT_USE = "Your passkey could not be used. Try again, or use a code instead.";

function supported() {
  return (
    typeof window.PublicKeyCredential === "function" &&
    typeof PublicKeyCredential.parseRequestOptionsFromJSON === "function"
  );
}

class PasskeyProblem extends Error {}

async function fetchOptions(url, form) {
  const response = await fetch(url, {
    method: "POST",
    body: new URLSearchParams({ csrf_token: form.elements.csrf_token.value }),
    headers: { Accept: "application/json" },
    credentials: "same-origin",
  });
  if (!response.ok) {
    const detail = await response.json().then(
      (problem) => problem.detail,
      () => null,
    );
    throw new PasskeyProblem(detail || COULD_NOT_USE);
  }
  return response.json();
}

async function usePasskey(container, button) {
  const form = button.closest("form");
  const problem = container.querySelector("[data-passkey-problem]");
  const ceremony = CEREMONIES[button.dataset.passkeyCeremony];
  problem.hidden = true;
  try {
    const options = await fetchOptions(button.dataset.passkeyOptions, form);
    const credential = await ceremony.ask(ceremony.parse(options));
    form.elements.credential.value = JSON.stringify(credential.toJSON());
    form.action = button.dataset.passkeyAction;
    form.submit();
  } catch (error) {
    // Anything else: the user or the browser stopped the ceremony, or the network failed.
    problem.textContent = error instanceof PasskeyProblem ? error.message : COULD_NOT_USE;
    problem.hidden = false;
  }
}

if (supported()) {
  for (const container of document.querySelectorAll("[data-passkey]")) {
    const button = container.querySelector("button");
    button.addEventListener("click", () => usePasskey(container, button));
    container.hidden = false;
  }
}
