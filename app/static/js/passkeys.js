// Passkeys: registers one from the Profile page and signs in with one from the login page.
// The server's options are WebAuthn JSON; the browser's JSON helpers turn them into the API's objects.
(function () {
  "use strict";

  function post(url, csrf, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": csrf},
      body: JSON.stringify(body || {})
    }).then(function (r) { return r.json().then(function (data) { return {ok: r.ok, data: data}; }); });
  }

  function show(el, message) {
    var out = document.getElementById(el.dataset.status);
    if (out) { out.textContent = message; }
  }

  function register(button) {
    var name = document.getElementById(button.dataset.nameInput).value;
    post(button.dataset.options, button.dataset.csrf).then(function (r) {
      var options = PublicKeyCredential.parseCreationOptionsFromJSON(r.data);
      return navigator.credentials.create({publicKey: options});
    }).then(function (credential) {
      return post(button.dataset.register, button.dataset.csrf, {name: name, credential: credential.toJSON()});
    }).then(function (r) {
      if (r.ok) { window.location.reload(); } else { show(button, r.data.error.field + ": " + r.data.error.message); }
    }).catch(function (err) { show(button, String(err)); });
  }

  function signIn(button) {
    post(button.dataset.options, button.dataset.csrf).then(function (r) {
      var options = PublicKeyCredential.parseRequestOptionsFromJSON(r.data);
      return navigator.credentials.get({publicKey: options});
    }).then(function (credential) {
      return post(button.dataset.signIn, button.dataset.csrf, {credential: credential.toJSON(), next: button.dataset.next});
    }).then(function (r) {
      if (r.ok) { window.location.assign(r.data.redirect); } else { show(button, r.data.error.message); }
    }).catch(function (err) { show(button, String(err)); });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-passkey]");
    if (!button) { return; }
    event.preventDefault();
    if (!window.PublicKeyCredential) { show(button, "This browser does not support passkeys."); return; }
    (button.dataset.passkey === "register" ? register : signIn)(button);
  });
})();
