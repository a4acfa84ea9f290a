// The console's login: posts the development API's credentials as JSON; the answer sets the
// session cookie (HttpOnly, so this script never sees it) and the console opens.
(function () {
  'use strict';
  var form = document.getElementById('login');
  form.addEventListener('submit', function (event) {
    event.preventDefault();
    var error = document.getElementById('error');
    error.textContent = '';
    var attributes = {
      clientId: document.getElementById('clientId').value,
      clientSecret: document.getElementById('clientSecret').value,
      enterpriseId: document.getElementById('enterpriseId').value
    };
    fetch('session', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ data: { type: 'isvApplicationLogin', attributes: attributes } })
    }).then(function (response) {
      if (response.ok) { window.location.replace('./'); return null; }
      return response.json().then(function (body) {
        var errors = (body && body.errors) || [];
        error.textContent = errors.length ? errors[0].detail : 'HTTP ' + response.status;
      });
    }).catch(function (e) {
      error.textContent = String(e.message || e);
    });
  });
}());
