// WOT web chat: posts the resident's messages one at a time and shows the
// transcript from the server's event stream. No other scripts, no storage.
(function () {
  'use strict';
  var root = document.getElementById('chat');
  var log = document.getElementById('log');
  var form = document.getElementById('send');
  var field = document.getElementById('text');
  var forget = document.getElementById('forget');
  var status = document.getElementById('status');
  var T = root.dataset;
  var phones = [];
  try { phones = JSON.parse(T.phones || '[]'); } catch (e) { phones = []; }
  var lang = document.documentElement.lang;
  var query = '?lang=' + encodeURIComponent(lang);
  var lastID = 0;
  var shown = {};      // ids of resident messages this page already shows
  var queue = [];      // messages waiting to be posted, in order
  var busy = false;
  var focusAfter = false; // the resident answered with a button: move focus on
  var focusTimer = 0;
  var failed = null;      // the last message that was not sent: sent again, it keeps its id

  form.hidden = false;
  forget.hidden = false;

  function nextID() {
    var id = Date.now() * 1000;
    if (id <= lastID) { id = lastID + 1; }
    lastID = id;
    return id;
  }

  var phoneRe = phones.length ? new RegExp('(' + phones.map(function (p) {
    return p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }).sort(function (a, b) { return b.length - a.length; }).join('|') + ')') : null;

  // text with its phone numbers as tel: links
  function fill(el, text) {
    if (!phoneRe) { el.textContent = text; return; }
    var parts = text.split(phoneRe);
    for (var i = 0; i < parts.length; i++) {
      if (i % 2 === 1) {
        var a = document.createElement('a');
        a.href = 'tel:' + parts[i].replace(/[^0-9+]/g, '');
        a.textContent = parts[i];
        el.appendChild(a);
      } else if (parts[i]) {
        el.appendChild(document.createTextNode(parts[i]));
      }
    }
  }

  function disableOptions() {
    var bs = log.querySelectorAll('button[data-option]');
    for (var i = 0; i < bs.length; i++) { bs[i].disabled = true; }
  }

  function render(e, fresh) {
    if (e.reset) { log.textContent = ''; shown = {}; return; }
    // Ids keep rising past every message of the chat, even if this
    // computer's clock went back since (the bot ignores an old id).
    if (e.seq && e.seq > lastID) { lastID = e.seq; }
    if (e.from === 'resident') {
      disableOptions();
      if (e.seq && shown[e.seq]) { return; }
    }
    var div = document.createElement('div');
    div.className = 'msg' + (fresh ? ' new' : '');
    div.setAttribute('data-from', e.from === 'resident' ? 'resident' : 'bot');
    if (e.step) { div.setAttribute('data-step', e.step); }
    if (e.lang && /^[a-z]{2}$/.test(e.lang)) {
      div.lang = e.lang;
      div.dir = e.lang === 'ar' ? 'rtl' : 'ltr';
    }
    if (e.seq && e.from === 'resident') { div.setAttribute('data-seq', String(e.seq)); shown[e.seq] = true; }
    var who = document.createElement('span');
    who.className = 'sr-only';
    who.textContent = (e.from === 'resident' ? T.you : T.bot) + ' ';
    var p = document.createElement('p');
    p.appendChild(who);
    fill(p, e.text || '');
    div.appendChild(p);
    if (e.options && e.options.length) {
      var group = document.createElement('div');
      group.className = 'options';
      group.setAttribute('role', 'group');
      group.setAttribute('aria-label', T.options);
      e.options.forEach(function (o) {
        var b = document.createElement('button');
        b.type = 'button';
        b.setAttribute('data-option', o.label);
        b.value = o.data;
        b.textContent = o.label;
        b.addEventListener('click', function () { choose(b); });
        group.appendChild(b);
      });
      div.appendChild(group);
    }
    log.appendChild(div);
    div.scrollIntoView({ block: 'nearest' });
    if (e.from !== 'resident' && focusAfter) {
      clearTimeout(focusTimer);
      focusTimer = setTimeout(moveFocus, 60);
    }
  }

  // After a button answer, focus goes to the new question's first option,
  // or to the text field when it asks for typing.
  function moveFocus() {
    focusAfter = false;
    var msgs = log.querySelectorAll('.msg[data-from="bot"]');
    var last = msgs[msgs.length - 1];
    var b = last && last.querySelector('button[data-option]:not(:disabled)');
    (b || field).focus();
  }

  function notice(text) {
    status.textContent = text || '';
  }

  function echo(id, text) {
    render({ from: 'resident', text: text, seq: id }, true);
  }

  function choose(b) {
    focusAfter = true;
    submit({ option: b.value, label: b.getAttribute('data-option') });
  }

  function same(a, b) {
    return a && b && a.text === b.text && a.option === b.option;
  }

  function submit(msg) {
    // The same message again after "it did not work" keeps its id: if the
    // first try did reach the bot after all, it is not handled twice.
    msg.id = same(failed, msg) ? failed.id : nextID();
    failed = null;
    echo(msg.id, msg.text !== undefined ? msg.text : msg.label);
    queue.push(msg);
    pump();
  }

  function pump() {
    if (busy || !queue.length) { return; }
    busy = true;
    post(queue[0], 0);
  }

  function done() {
    queue.shift();
    busy = false;
    pump();
  }

  function unsend(msg, text) {
    failed = msg;
    var el = log.querySelector('.msg[data-seq="' + msg.id + '"]');
    if (el) { el.remove(); }
    delete shown[msg.id];
    if (msg.text !== undefined && !field.value) { field.value = msg.text; }
    notice(text);
    queue = [];
    busy = false;
    field.focus();
  }

  function post(msg, attempt) {
    fetch('send' + query, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      credentials: 'same-origin',
      body: JSON.stringify(msg)
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (body) {
        if (r.ok) { notice(''); done(); return; }
        if (body.retry && attempt < 5) { // handled, replies not stored: the same id again brings them
          setTimeout(function () { post(msg, attempt + 1); }, 500 * (attempt + 1));
          return;
        }
        unsend(msg, body.notice || T.failed);
      });
    }, function () {
      // The network failed: the same id again is handled at most once.
      if (attempt < 3) { setTimeout(function () { post(msg, attempt + 1); }, 500 * (attempt + 1)); return; }
      unsend(msg, T.failed);
    });
  }

  form.addEventListener('submit', function (ev) {
    ev.preventDefault();
    var text = field.value.trim();
    if (!text) { field.focus(); return; }
    field.value = '';
    submit({ text: text });
  });
  // Erasing everything takes two presses: a slip of the finger must not
  // throw away a half-finished registration.
  var armed = 0;
  function disarm() {
    clearTimeout(armed);
    armed = 0;
    forget.textContent = T.forget;
    if (status.textContent === T.forgetConfirm) { notice(''); }
  }
  forget.addEventListener('click', function () {
    if (!armed) {
      forget.textContent = T.forgetConfirm;
      notice(T.forgetConfirm);
      armed = setTimeout(disarm, 10000);
      return;
    }
    disarm();
    // The two presses were the resident's "are you sure": confirm at once.
    submit({ text: '/vergeet ja' });
    field.focus();
  });

  var es = new EventSource('events' + query);
  es.onmessage = function (m) {
    var e;
    try { e = JSON.parse(m.data); } catch (err) { return; }
    render(e, true);
  };
  es.onopen = function () { if (status.textContent === T.offline) { notice(''); } };
  es.onerror = function () { if (es.readyState !== EventSource.OPEN) { notice(T.offline); } };
}());
