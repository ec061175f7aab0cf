// abiq's HTML view (API.md section 12): the few things a page does by itself.
// Plain script, served by abiq, no dependencies; every page works without it
// (a task page is then followed by reloading it).
'use strict';

(function () {
  var TERMINAL = ['finished', 'failed', 'cancelled'];
  var JSON_TYPE = 'application/json';

  function withQuery(href, query) {
    return href + (href.indexOf('?') < 0 ? '?' : '&') + query;
  }

  // The raw JSON or XML of the page's resource, shown in place.
  function showRaw(event) {
    event.preventDefault();
    var link = event.currentTarget;
    var view = document.getElementById('raw-view');
    fetch(link.href, {headers: {Accept: link.dataset.accept}, credentials: 'same-origin'})
      .then(function (res) { return res.text(); })
      .then(function (text) {
        if (link.dataset.accept === JSON_TYPE) {
          try { text = JSON.stringify(JSON.parse(text), null, 2); } catch (e) { /* as sent */ }
        }
        view.textContent = text;
        view.hidden = false;
        view.focus();
      });
  }

  // A relation picker: the items of the collection the caller can see.
  function fillPicker(select) {
    var current = select.dataset.value || '';
    fetch(withQuery(select.dataset.options, 'limit=0'),
          {headers: {Accept: JSON_TYPE}, credentials: 'same-origin'})
      .then(function (res) { return res.json(); })
      .then(function (doc) {
        select.textContent = '';
        if (!current) { select.appendChild(new Option('(choose)', '')); }
        (doc.collection || []).forEach(function (item) {
          var self = (item.links || []).filter(function (l) { return l.rel === 'self'; })[0];
          if (!self) { return; }
          var label = self.title || item.name || self.href;
          select.appendChild(new Option(label, self.href, false, self.href === current));
        });
        select.dataset.loaded = 'true';
      });
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  // A value as the server shows it: null, lists, lists of objects as tables.
  function shown(value) {
    if (value === null || value === undefined) { return element('span', 'null', 'null'); }
    if (!Array.isArray(value)) {
      return document.createTextNode(typeof value === 'object' ? JSON.stringify(value) : String(value));
    }
    if (!value.length) { return element('span', 'null', 'none'); }
    if (typeof value[0] !== 'object' || value[0] === null) {
      var list = element('ul', 'values');
      value.forEach(function (item) { list.appendChild(element('li')).appendChild(shown(item)); });
      return list;
    }
    var keys = Object.keys(value[0]);
    var table = element('table', 'nested');
    var head = table.appendChild(element('thead')).appendChild(element('tr'));
    keys.forEach(function (key) { head.appendChild(element('th', '', key)).scope = 'col'; });
    var body = table.appendChild(element('tbody'));
    value.forEach(function (row) {
      var tr = body.appendChild(element('tr'));
      keys.forEach(function (key) { tr.appendChild(element('td')).appendChild(shown(row[key])); });
    });
    return table;
  }

  function cell(text) {
    var td = document.createElement('td');
    td.textContent = text === null || text === undefined ? 'null' : String(text);
    return td;
  }

  function showTask(task) {
    var progress = document.getElementById('task-progress');
    progress.value = task.progress;
    progress.textContent = task.progress + '%';
    document.getElementById('task-progress-text').textContent = task.progress + '%';
    document.getElementById('task-status').textContent = task.status;
    // NOTE: every field too, shown as the page shows it (abiq/html/values.py).
    Object.keys(task).forEach(function (key) {
      var dd = document.querySelector('dd[data-field="' + key + '"]');
      if (dd) { dd.textContent = ''; dd.appendChild(shown(task[key])); }
    });
    var body = document.querySelector('#jobs tbody');
    body.textContent = '';
    (task.jobs || []).forEach(function (job, index) {
      var row = document.createElement('tr');
      row.dataset.jobStatus = job.status;
      [index + 1, job.type, job.description, job.status, job.startedAt, job.finishedAt]
        .forEach(function (value) { row.appendChild(cell(value)); });
      body.appendChild(row);
    });
  }

  function finished(href) {
    showTask({progress: 100, status: 'finished', jobs: []});
    var live = document.getElementById('task-live');
    if (live) { live.textContent = 'Finished: opening the result.'; }
    // NOTE: a moment at 100% for the person watching, then the result.
    setTimeout(function () { window.location.assign(href); }, 1000);
  }

  // Follow a task by long polling (Prefer: wait, If-None-Match) until it ends;
  // the 303 of a finished task leads to its result.
  function follow(main) {
    var href = main.dataset.task;
    var etag = null;
    var errors = 0;
    function poll() {
      var headers = {Accept: JSON_TYPE, Prefer: 'wait=10'};
      if (etag) { headers['If-None-Match'] = etag; }
      fetch(href, {headers: headers, credentials: 'same-origin', cache: 'no-store'})
        .then(function (res) {
          if (res.redirected) { finished(res.url); return; }
          if (res.status === 304) { poll(); return; }
          if (res.status === 503 || res.status === 429) {
            // NOTE: too many waiting (ABIQ_MAX_WAITERS): try again when told.
            var after = parseInt(res.headers.get('Retry-After'), 10) || 2;
            setTimeout(poll, Math.min(after, 30) * 1000);
            return;
          }
          if (!res.ok) { document.getElementById('task-status').textContent = 'gone (' + res.status + ')'; return; }
          etag = res.headers.get('ETag');
          return res.json().then(function (task) {
            showTask(task);
            errors = 0;
            // NOTE: once it ends, the page is read again: its buttons are
            // what the task allows now (retry, say).
            if (TERMINAL.indexOf(task.status) >= 0) { window.location.reload(); } else { poll(); }
          });
        })
        .catch(function () {
          errors += 1;
          if (errors < 10) { setTimeout(poll, 1000 * errors); }
        });
    }
    poll();
  }

  document.addEventListener('DOMContentLoaded', function () {
    ['raw-json', 'raw-xml'].forEach(function (id) {
      var link = document.getElementById(id);
      if (link) { link.addEventListener('click', showRaw); }
    });
    document.querySelectorAll('select[data-options]').forEach(fillPicker);
    var main = document.getElementById('main');
    if (main && main.dataset.task && main.dataset.terminal === 'false') { follow(main); }
  });
})();
