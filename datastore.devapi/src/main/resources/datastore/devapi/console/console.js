// The dev console: loads /console/state and renders it; reloads whenever /console/events reports a change.
// Every value from the store is put into the page as text (textContent), never as HTML.
(function () {
  'use strict';

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function bytes(n) {
    if (n < 1024) { return n + ' B'; }
    if (n < 1024 * 1024) { return (n / 1024).toFixed(1) + ' KiB'; }
    return (n / (1024 * 1024)).toFixed(2) + ' MiB';
  }

  function count(n, noun) {
    n = n || 0;
    return n + ' ' + noun + (n === 1 ? '' : 's');
  }

  function clear(node) {
    while (node.firstChild) { node.removeChild(node.firstChild); }
  }

  function renderPartitions(state) {
    var box = document.getElementById('partitions');
    clear(box);
    if (!state.partitions.length) {
      box.appendChild(el('p', 'muted', 'No partition is present.'));
    }
    state.partitions.forEach(function (p) {
      var row = el('div', 'partition');
      row.appendChild(el('div', 'name', p.name + ' '));
      row.firstChild.appendChild(el('span', 'muted', '(' + p.ranking + (p.readOnly ? ', read-only' : '') + ')'));
      if (p.error) {
        row.appendChild(el('div', 'error', p.error));
        row.appendChild(el('div'));
      } else {
        var share = p.capacity > 0 ? p.used / p.capacity : 0;
        var bar = el('div', 'bar' + (share >= 0.95 ? ' full' : share >= 0.8 ? ' warn' : ''));
        var fill = el('div');
        fill.style.width = Math.min(100, share * 100).toFixed(2) + '%';
        bar.appendChild(fill);
        bar.title = (share * 100).toFixed(1) + '% used';
        row.appendChild(bar);
        var e = p.entries || {};
        row.appendChild(el('div', 'meta', bytes(p.used) + ' of ' + bytes(p.capacity) + ' (' + (share * 100).toFixed(1)
          + '%) · ' + count(e.kv, 'key') + ', ' + count(e.image, 'image') + ', ' + (e.code ? 'code' : 'no code')));
      }
      box.appendChild(row);
    });
  }

  function renderCode(state) {
    var box = document.getElementById('code');
    clear(box);
    if (state.codeError) { box.appendChild(el('p', 'error', state.codeError)); return; }
    var code = state.code;
    if (code.error) { box.appendChild(el('p', 'error', code.error)); return; }
    if (!code.present) { box.appendChild(el('p', 'muted', 'No application code in any partition.')); return; }
    var p = el('p');
    p.appendChild(el('span', 'tag', code.partition));
    p.appendChild(document.createTextNode(' ' + bytes(code.size) + ', revision ' + code.revision));
    box.appendChild(p);
  }

  function renderKeys(state) {
    var body = document.querySelector('#kv tbody');
    clear(body);
    if (state.kvError) {
      var row = el('tr'); var cell = el('td', 'error', state.kvError); cell.colSpan = 3;
      row.appendChild(cell); body.appendChild(row);
      document.getElementById('kv-count').textContent = '';
      return;
    }
    document.getElementById('kv-count').textContent = '(' + state.kv.length + ')';
    state.kv.forEach(function (entry) {
      var row = el('tr');
      row.appendChild(el('td', null, entry.key));
      if (entry.error) {
        row.appendChild(el('td', 'error', entry.error));
      } else if (entry.masked) {
        // A unique-per-dock value (an enrolment token, say) stays hidden until asked for.
        var cell = el('td', 'value masked');
        var button = el('button', 'reveal', 'reveal');
        button.type = 'button';
        button.title = 'unique to this dock; shown on request';
        button.addEventListener('click', function () {
          fetch('reveal?key=' + encodeURIComponent(entry.key), { cache: 'no-store' })
            .then(function (response) { return response.json(); })
            .then(function (found) { cell.textContent = found.value !== undefined ? found.value : 'not found'; });
        });
        cell.appendChild(el('span', 'muted', '•••••• '));
        cell.appendChild(button);
        row.appendChild(cell);
      } else {
        row.appendChild(el('td', 'value', entry.value));
      }
      var source = el('td');
      if (entry.partition) { source.appendChild(el('span', 'tag', entry.partition)); }
      row.appendChild(source);
      body.appendChild(row);
    });
  }

  // The newest generation whose thumbnails are on the page.
  var shownImages = 0;

  // The cards are built off the page and swapped in only once every thumbnail is decoded (or has
  // failed), so a reload never shows a blank or half-loaded thumbnail in place of one that was there.
  function renderImages(state, generation) {
    var box = document.getElementById('images');
    var counter = document.getElementById('image-count');
    if (state.imagesError) {
      shownImages = generation;
      clear(box);
      box.appendChild(el('p', 'error', state.imagesError));
      counter.textContent = '';
      return;
    }
    var cards = [];
    var decoded = [];
    state.images.forEach(function (image) {
      var card = el('div', 'image');
      var thumb = el('div', 'thumb');
      if (!image.error) {
        var img = el('img');
        img.alt = image.tag;
        // The generation defeats caching: the same tag may hold other bytes after a change.
        img.src = 'images/' + encodeURIComponent(image.tag) + '?v=' + generation;
        decoded.push(img.decode().catch(function () { return undefined; }));
        thumb.appendChild(img);
      }
      card.appendChild(thumb);
      card.appendChild(el('div', 'title', image.tag));
      if (image.error) {
        card.appendChild(el('div', 'error', image.error));
      } else {
        var meta = el('div', 'meta', image.type + ' · ' + image.width + '×' + image.height + ' · ' + bytes(image.size) + ' · ');
        meta.appendChild(el('span', 'tag', image.partition));
        card.appendChild(meta);
      }
      cards.push(card);
    });
    return Promise.all(decoded).then(function () {
      // A newer reload may have finished first: its cards stay.
      if (generation < shownImages) { return; }
      shownImages = generation;
      clear(box);
      cards.forEach(function (card) { box.appendChild(card); });
      counter.textContent = '(' + state.images.length + ')';
    });
  }

  var generation = 0;
  var loading = false;
  var again = false;

  function load() {
    if (loading) { again = true; return; }
    loading = true;
    generation++;
    var current = generation;
    fetch('state', { cache: 'no-store' })
      .then(function (response) {
        if (response.status === 401) { window.location.replace('login.html'); throw new Error('logged out'); }
        if (!response.ok) { throw new Error('state: HTTP ' + response.status); }
        return response.json();
      })
      .then(function (state) {
        document.getElementById('dock').textContent = 'dock ' + state.dockId;
        renderPartitions(state);
        renderCode(state);
        renderKeys(state);
        document.getElementById('updated').textContent = new Date().toLocaleTimeString();
        return renderImages(state, current);
      })
      .catch(function (error) {
        document.getElementById('updated').textContent = String(error.message || error);
      })
      .then(function () {
        loading = false;
        if (again) { again = false; load(); }
      });
  }

  var pending = null;
  function changed() {
    // Changes come in bursts (a ROM replace changes every entry): reload once the burst is over.
    if (pending) { clearTimeout(pending); }
    pending = setTimeout(function () { pending = null; load(); }, 150);
  }

  function connect() {
    var status = document.getElementById('status');
    var events = new EventSource('events');
    events.addEventListener('hello', function () {
      status.textContent = 'live';
      status.className = 'status live';
      load();
    });
    events.addEventListener('change', changed);
    events.onerror = function () {
      status.textContent = 'reconnecting…';
      status.className = 'status offline';
    };
  }

  document.getElementById('logout').addEventListener('click', function () {
    fetch('session', { method: 'DELETE' }).then(function () { window.location.replace('login.html'); });
  });

  load();
  connect();
}());
