/* The console's progressive script (served as a file: the CSP allows no inline script).
 * - Settings ➔ Webhooks: Test posts the row in the background and shows the result inline; Save is
 *   enabled only while the URL in the field is the one that passed. Without this script the forms
 *   post normally and the server renders the same result (and enforces test-before-save anyway).
 * - Settings ➔ Unsubscribe pages: the preview frames follow the form as the sender types. */
/* global document, window */
'use strict';

/* The page's texts for what the scripts write, in the page's language (`<body data-texts>`). */
function consoleTexts() {
  try {
    return JSON.parse(document.body.getAttribute('data-texts') || '{}');
  } catch {
    return {};
  }
}

(function () {
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function details(summary, text, className, open) {
    var box = el('details');
    if (open) box.open = true;
    box.appendChild(el('summary', '', summary));
    box.appendChild(el('pre', className, text));
    return box;
  }

  var texts = consoleTexts();

  function showResult(container, result) {
    container.textContent = '';
    // The verdict comes written by the server, in the page's language.
    container.appendChild(el('p', 'verdict ' + (result.ok ? 'ok' : 'bad'), result.verdict));
    if (result.error) container.appendChild(el('p', 'small', result.error));
    container.appendChild(details(texts.response, result.responseExcerpt, 'excerpt', !result.ok));
    container.appendChild(details(texts.sampleSent, result.sent, 'sent', true));
  }

  function showError(container, message) {
    container.textContent = '';
    container.appendChild(el('p', 'verdict bad', message));
  }

  function setUpSlot(form) {
    var input = form.querySelector('input[name="url"]');
    var save = form.querySelector('button.save');
    var test = form.querySelector('button.test');
    var result = form.querySelector('.result');
    if (!input || !save || !test || !result) return;

    function update() {
      var passed = form.getAttribute('data-passed-url');
      save.disabled = passed === null || input.value.trim() !== passed;
    }
    input.addEventListener('input', update);
    update();

    form.addEventListener('submit', function (event) {
      if (event.submitter !== test) return;
      event.preventDefault();
      var tested = input.value.trim();
      form.removeAttribute('data-passed-url');
      update();
      test.disabled = true;
      test.setAttribute('aria-busy', 'true');
      showError(result, texts.testing);
      result.firstChild.className = 'verdict';
      fetch(form.getAttribute('data-test-action'), {
        method: 'POST',
        credentials: 'same-origin',
        headers: { Accept: 'application/json', 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(new FormData(form)),
      })
        .then(function (response) {
          var type = response.headers.get('content-type') || '';
          if (type.indexOf('application/json') === -1) {
            // Signed out meanwhile: the answer is the sign-in page.
            window.location.assign(response.url);
            return undefined;
          }
          return response.json().then(function (body) {
            if (!response.ok) {
              showError(result, (body && body.error && body.error.message) || texts.testFailed);
              return;
            }
            showResult(result, body);
            if (body.ok && input.value.trim() === tested) form.setAttribute('data-passed-url', tested);
            update();
          });
        })
        .catch(function () {
          showError(result, texts.noAnswer);
        })
        .then(function () {
          test.disabled = false;
          test.removeAttribute('aria-busy');
        });
    });
  }

  function setUpPreview(form) {
    var frames = document.querySelectorAll('iframe.preview-frame');
    var timer;
    function refresh() {
      var params = new URLSearchParams(new FormData(form));
      params.delete('_csrf');
      params.set('draft', '1');
      for (var i = 0; i < frames.length; i++) {
        frames[i].src = frames[i].getAttribute('data-base') + '?' + params.toString();
      }
    }
    function schedule() {
      clearTimeout(timer);
      timer = setTimeout(refresh, 250);
    }
    form.addEventListener('input', schedule);
    form.addEventListener('change', schedule);
  }

  function start() {
    var slots = document.querySelectorAll('form.slot-form');
    for (var i = 0; i < slots.length; i++) setUpSlot(slots[i]);
    var branding = document.getElementById('branding-form');
    if (branding) setUpPreview(branding);
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();

/* Templates: "Check" lints in the background and lists each problem with its part, line and column
 * beside the editor; the preview frame (sandboxed, no scripts) and the subject, List-Unsubscribe
 * headers and text part follow the editor as the sender types. Without this script Check and
 * Preview post normally and the server renders the same results. */
(function () {
  var texts = consoleTexts();

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function problemItem(problem, warning) {
    var item = el('li', 'problem ' + (warning ? 'warning-item' : 'error-item'));
    item.appendChild(el('code', '', problem.part + ':' + problem.line + ':' + problem.column));
    item.appendChild(document.createTextNode(' '));
    item.appendChild(el('code', '', problem.code));
    item.appendChild(document.createTextNode(' ' + (warning ? texts.warning + ' ' : '') + problem.message));
    if (problem.hint) item.appendChild(el('span', 'small', ' (' + problem.hint + ')'));
    return item;
  }

  function showProblems(box, body) {
    box.textContent = '';
    if (body.formError) box.appendChild(el('p', 'error', body.formError.message));
    if (body.errors.length > 0) {
      // Counted by the server with the page language's plural rules.
      box.appendChild(el('p', 'error', body.texts.found));
      var errors = el('ul', 'problems');
      body.errors.forEach(function (problem) {
        errors.appendChild(problemItem(problem, false));
      });
      box.appendChild(errors);
    }
    if (body.warnings.length > 0) {
      var warnings = el('ul', 'problems');
      body.warnings.forEach(function (problem) {
        warnings.appendChild(problemItem(problem, true));
      });
      box.appendChild(warnings);
    }
    if (!body.formError && body.errors.length === 0 && body.warnings.length === 0)
      box.appendChild(el('p', 'verdict ok', body.texts.clean));
  }

  function showPreview(preview) {
    var set = function (id, text) {
      var node = document.getElementById(id);
      if (node) node.textContent = text;
    };
    set('preview-subject', preview ? preview.subject || '' : '');
    set('preview-list-unsubscribe', preview ? preview.headers['List-Unsubscribe'] : '');
    set('preview-list-unsubscribe-post', preview ? preview.headers['List-Unsubscribe-Post'] : '');
    set('preview-text', preview ? preview.text : '');
  }

  function setUpTemplate(form) {
    var box = document.getElementById('template-problems');
    var check = form.querySelector('button.check');
    var previewButton = form.querySelector('button.preview-button');
    var timer;
    // Set once the form is really submitted (Save): a check or preview started after that would
    // submit the form again (the preview goes through it), and a new submission of a form cancels
    // the one still waiting to navigate — the save would be lost.
    var saving = false;

    function run() {
      if (saving) return Promise.resolve();
      var body = new URLSearchParams(new FormData(form));
      if (previewButton && form.requestSubmit) form.requestSubmit(previewButton);
      return fetch(form.getAttribute('data-check'), {
        method: 'POST',
        credentials: 'same-origin',
        headers: { Accept: 'application/json', 'Content-Type': 'application/x-www-form-urlencoded' },
        body: body,
      })
        .then(function (response) {
          var type = response.headers.get('content-type') || '';
          if (type.indexOf('application/json') === -1) {
            window.location.assign(response.url);
            return;
          }
          return response.json().then(function (result) {
            if (!response.ok) {
              box.textContent = '';
              box.appendChild(el('p', 'error', (result.error && result.error.message) || texts.checkFailed));
              return;
            }
            showProblems(box, result);
            showPreview(result.preview);
          });
        })
        .catch(function () {
          box.textContent = '';
          box.appendChild(el('p', 'error', texts.noAnswer));
        });
    }

    form.addEventListener('submit', function (event) {
      if (event.submitter === check) {
        event.preventDefault();
        run();
      } else if (event.submitter !== previewButton) {
        saving = true;
        clearTimeout(timer);
      }
    });
    function schedule() {
      if (saving) return;
      clearTimeout(timer);
      timer = setTimeout(run, 400);
    }
    form.addEventListener('input', schedule);
    form.addEventListener('change', schedule);
    // The frame starts empty: fill it with the template as it stands.
    if (previewButton && form.requestSubmit) form.requestSubmit(previewButton);
  }

  function start() {
    var form = document.getElementById('template-form');
    if (form) setUpTemplate(form);
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
