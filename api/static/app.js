// app.js: progressive enhancement for the server-rendered pages. Every page
// works without it; with it, search results appear as the user types, the
// result list is keyboard-navigable, article links can be copied, and the
// service worker keeps opened procedure pages for offline use.
// No framework, no build step: commune PCs run old browsers on slow links.
'use strict';

(function () {
  var doc = document;
  doc.documentElement.classList.add('js');

  var KINDS = {
    procedure: 'Thủ tục hành chính', regulation: 'Văn bản pháp luật',
    guide: 'Hướng dẫn công nghệ', faq: 'Hỏi đáp', template: 'Mẫu văn bản'
  };
  var VALIDITY = { not_yet: 'Chưa có hiệu lực', expired: 'Hết hiệu lực' };

  function el(tag, cls, text) {
    var e = doc.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }

  // toast announces a short message to screen readers and sighted users.
  var toastEl;
  function toast(msg) {
    if (!toastEl) {
      toastEl = el('div', 'toast');
      toastEl.setAttribute('role', 'status');
      toastEl.setAttribute('aria-live', 'polite');
      doc.body.appendChild(toastEl);
    }
    toastEl.textContent = msg;
    toastEl.classList.add('show');
    clearTimeout(toast.t);
    toast.t = setTimeout(function () { toastEl.classList.remove('show'); }, 2500);
  }

  function copy(text, done) {
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { toast(done); }, function () { fallbackCopy(text, done); });
    } else {
      fallbackCopy(text, done);
    }
  }

  // fallbackCopy works on plain http (a commune PC on the LAN), where the
  // Clipboard API is not available.
  function fallbackCopy(text, done) {
    var ta = el('textarea');
    ta.value = text;
    ta.setAttribute('readonly', '');
    ta.className = 'sr';
    doc.body.appendChild(ta);
    ta.select();
    var ok = false;
    try { ok = doc.execCommand('copy'); } catch (e) { ok = false; }
    doc.body.removeChild(ta);
    toast(ok ? done : 'Không sao chép được; hãy chọn và sao chép thủ công: ' + text);
  }

  function pageURL() { return location.origin + location.pathname; }

  // ---- buttons: print, copy link, copy text
  doc.addEventListener('click', function (ev) {
    var t = ev.target.closest('[data-print],[data-copy],[data-copy-text],a.anchor');
    if (!t) return;
    if (t.hasAttribute('data-print')) {
      window.print();
    } else if (t.hasAttribute('data-copy')) {
      copy(pageURL(), 'Đã sao chép liên kết trang.');
    } else if (t.hasAttribute('data-copy-text')) {
      var src = doc.querySelector(t.getAttribute('data-copy-text'));
      if (src) copy(src.innerText.trim(), 'Đã sao chép đoạn đọc cho người gọi.');
    } else if (t.classList.contains('anchor')) {
      ev.preventDefault();
      var id = t.getAttribute('href').slice(1);
      history.replaceState(null, '', '#' + id);
      var target = doc.getElementById(id);
      if (target) target.scrollIntoView({ block: 'start' });
      copy(pageURL() + '#' + id, 'Đã sao chép liên kết tới ' + anchorLabel(id) + '.');
    }
  });

  // anchorLabel writes a legal anchor the Vietnamese way:
  // dieu-5-khoan-2-diem-a → "điểm a khoản 2 Điều 5".
  function anchorLabel(id) {
    var m = /^dieu-(\d+[a-z]?)(?:-khoan-(\d+))?(?:-diem-([a-z]{1,2}))?$/.exec(id);
    if (!m) return 'mục này';
    var parts = [];
    if (m[3]) parts.push('điểm ' + (m[3] === 'dd' ? 'đ' : m[3]));
    if (m[2]) parts.push('khoản ' + m[2]);
    parts.push('Điều ' + m[1]);
    return parts.join(' ');
  }

  // ---- copy-link buttons beside every article, clause and point
  doc.querySelectorAll('[data-anchors]').forEach(function (body) {
    body.querySelectorAll('h2[id],h3[id],h4[id],h5[id],h6[id],li[id]').forEach(function (node) {
      var a = el('a', 'anchor', '#');
      a.href = '#' + node.id;
      var label = /^dieu-/.test(node.id) ? anchorLabel(node.id) : (node.textContent || '').trim().slice(0, 60);
      a.setAttribute('aria-label', 'Sao chép liên kết tới ' + label);
      a.title = 'Sao chép liên kết';
      // A clause's link goes after its own text, before its points.
      var sub = node.tagName === 'LI' ? node.querySelector(':scope > ol, :scope > ul') : null;
      node.insertBefore(a, sub);
    });
  });

  // ---- hotline forms under results (templates/partials/hotline.html):
  // "was this useful?" for everyone, "send to the department" for
  // officials. hotlineFor points both at the question on screen: q its
  // text, id its log id when known (a search fetched while typing has none
  // yet: the server finds it by its text), unanswered whether the handbook
  // found nothing reliable.
  function hotlineFor(q, unanswered, id) {
    var f = doc.getElementById('feedback');
    if (f) {
      f.hidden = !q;
      f.elements.q.value = q || '';
      f.elements.question_id.value = id ? String(id) : '';
      f.elements.comment.value = '';
      var ask = f.querySelector('.feedback-ask');
      if (ask) ask.hidden = false;
      var done = f.querySelector('.feedback-done');
      if (done) { done.hidden = true; done.textContent = ''; }
    }
    var e = doc.getElementById('escalate');
    if (e) {
      e.hidden = !(q && unanswered);
      e.elements.q.value = q || '';
      e.elements.question_id.value = id ? String(id) : '';
    }
  }

  var feedbackButton = null;
  doc.addEventListener('click', function (ev) {
    var b = ev.target.closest && ev.target.closest('form[data-feedback] button[name="useful"]');
    if (b) feedbackButton = b;
  });
  doc.addEventListener('submit', function (ev) {
    var f = ev.target;
    if (!f.hasAttribute || !f.hasAttribute('data-feedback') || !window.fetch) return;
    var btn = ev.submitter || feedbackButton;
    if (!btn || btn.name !== 'useful') return;
    ev.preventDefault();
    var body = { useful: btn.value === '1', comment: f.elements.comment.value };
    var id = parseInt(f.elements.question_id.value, 10);
    if (id > 0) body.question_id = id; else body.query = f.elements.q.value;
    var headers = { 'Content-Type': 'application/json', Accept: 'application/json' };
    if (f.elements._csrf) headers['X-CSRF-Token'] = f.elements._csrf.value;
    var done = f.querySelector('.feedback-done');
    var buttons = f.querySelectorAll('button');
    var enable = function (on) { buttons.forEach(function (b) { b.disabled = !on; }); };
    var show = function (cls, nodes) {
      done.className = 'feedback-done banner ' + cls;
      done.textContent = '';
      nodes.forEach(function (n) { done.appendChild(typeof n === 'string' ? doc.createTextNode(n) : n); });
      done.hidden = false;
    };
    enable(false);
    fetch('/api/v1/feedback', { method: 'POST', headers: headers, body: JSON.stringify(body), credentials: 'same-origin' })
      .then(function (res) {
        return res.json().then(function (b) { return { ok: res.ok, body: b }; });
      })
      .then(function (r) {
        enable(true);
        if (!r.ok) {
          var m = r.body && r.body.error && r.body.error.message;
          show('error', [m || 'Không gửi được góp ý, vui lòng thử lại.']);
          return;
        }
        if (r.body.question_id) f.elements.question_id.value = r.body.question_id;
        f.querySelector('.feedback-ask').hidden = true;
        var nodes = ['Cảm ơn bạn đã góp ý.'];
        var t = r.body.ticket;
        if (t && t.id) {
          var a = el('a', '', 'phiếu hỏi số ' + t.id);
          a.href = '/tickets/' + t.id;
          nodes.push(' Câu hỏi đã được chuyển' + (t.department ? ' tới ' + t.department : '') + ': ', a, '.');
        }
        show('ok', nodes);
      })
      .catch(function () {
        enable(true);
        show('error', ['Không gửi được góp ý. Kiểm tra kết nối mạng rồi thử lại.']);
      });
  });

  // ---- live search
  var form = doc.getElementById('search-form');
  var input = doc.getElementById('q');
  var list = doc.getElementById('results');
  var status = doc.getElementById('search-status');
  if (form && input && list && status) {
    var timer = null;
    var inflight = null;
    var last = '';

    var params = function () {
      var p = new URLSearchParams();
      var q = input.value.trim();
      p.set('q', q);
      ['kind', 'field', 'at'].forEach(function (name) {
        var f = form.elements[name];
        if (f && f.value) p.set(name, f.value);
      });
      return p;
    };

    var showStatus = function (nodes) {
      status.textContent = '';
      nodes.forEach(function (n) { status.appendChild(n); });
    };

    var render = function (q, data) {
      list.textContent = '';
      var hits = data.hits || [];
      hits.forEach(function (h) {
        var li = el('li');
        var a = el('a');
        a.href = h.url;
        a.appendChild(el('span', 't', h.title));
        if (h.heading) a.appendChild(el('span', 'h', h.heading));
        li.appendChild(a);
        var p = el('p', 'snippet');
        appendSnippet(p, h.snippet || '');
        li.appendChild(p);
        var tags = el('p', 'tags');
        tags.appendChild(el('span', 'badge kind', KINDS[h.kind] || h.kind));
        if (VALIDITY[h.validity]) {
          tags.appendChild(doc.createTextNode(' '));
          tags.appendChild(el('span', 'badge v-' + h.validity, VALIDITY[h.validity]));
        }
        li.appendChild(tags);
        list.appendChild(li);
      });
      var nodes = [];
      if (hits.length) {
        var msg = hits.length + ' kết quả cho “' + q + '”.';
        if (!data.answerable) msg += ' Có thể không có trang nào trả lời đúng câu hỏi này; hãy thử diễn đạt khác.';
        nodes.push(el('p', '', msg));
      } else {
        var box = el('div', 'empty');
        var p1 = el('p');
        p1.appendChild(el('strong', '', 'Không tìm thấy kết quả phù hợp cho “' + q + '”.'));
        box.appendChild(p1);
        box.appendChild(el('p', '', 'Hãy thử ít từ hơn, tên gọi khác (ví dụ “sổ đỏ” thay cho “giấy chứng nhận”), hoặc bỏ bớt bộ lọc.'));
        nodes.push(box);
      }
      if (data.notice) nodes.push(el('p', 'banner info', data.notice));
      showStatus(nodes);
      hotlineFor(q, !hits.length || !data.answerable, 0);
    };

    var run = function () {
      var p = params();
      var q = p.get('q');
      var key = p.toString();
      if (key === last) return;
      last = key;
      history.replaceState(null, '', q ? '/search?' + key : '/search');
      if (!q) {
        list.textContent = '';
        status.textContent = '';
        hotlineFor('', false, 0);
        return;
      }
      if (inflight) inflight.abort();
      inflight = window.AbortController ? new AbortController() : null;
      p.set('limit', '20');
      status.setAttribute('aria-busy', 'true');
      fetch('/api/v1/search?' + p.toString(), { signal: inflight && inflight.signal, headers: { Accept: 'application/json' } })
        .then(function (res) {
          return res.json().then(function (body) { return { ok: res.ok, body: body }; });
        })
        .then(function (r) {
          status.removeAttribute('aria-busy');
          if (!r.ok) {
            list.textContent = '';
            var m = r.body && r.body.error && r.body.error.message;
            showStatus([el('p', 'banner error', m || 'Không tìm được lúc này, vui lòng thử lại.')]);
            return;
          }
          render(q, r.body);
        })
        .catch(function (err) {
          if (err && err.name === 'AbortError') return;
          status.removeAttribute('aria-busy');
          last = '';
          showStatus([el('p', 'banner error', 'Không tải được kết quả. Kiểm tra kết nối mạng rồi thử lại.')]);
        });
    };

    var schedule = function () {
      clearTimeout(timer);
      timer = setTimeout(run, 250);
    };
    input.addEventListener('input', schedule);
    form.addEventListener('change', function (ev) {
      if (ev.target !== input) { clearTimeout(timer); run(); }
    });
    last = params().toString();

    // Keyboard: ↓ from the box goes to the first result, ↑/↓ move between
    // results, ↑ from the first returns to the box; Enter opens the link.
    var links = function () { return Array.prototype.slice.call(list.querySelectorAll('li > a')); };
    input.addEventListener('keydown', function (ev) {
      if (ev.key === 'ArrowDown') {
        var ls = links();
        if (ls.length) { ev.preventDefault(); ls[0].focus(); }
      }
    });
    list.addEventListener('keydown', function (ev) {
      if (ev.key !== 'ArrowDown' && ev.key !== 'ArrowUp') return;
      var ls = links();
      var i = ls.indexOf(doc.activeElement);
      if (i < 0) return;
      ev.preventDefault();
      if (ev.key === 'ArrowDown' && i + 1 < ls.length) ls[i + 1].focus();
      if (ev.key === 'ArrowUp') (i > 0 ? ls[i - 1] : input).focus();
    });
  }

  // ---- ask: stream the answer from /api/v1/ask/stream (SSE). Without
  // EventSource, or when the stream cannot start, the form posts normally
  // and the server renders the answer.
  var askForm = doc.getElementById('ask-form');
  if (askForm && askForm.hasAttribute('data-stream') && window.EventSource && window.URLSearchParams) {
    var result = doc.getElementById('ask-result');
    var askStatus = doc.getElementById('ask-status');
    var askAfter = doc.getElementById('ask-after');
    var es = null;
    var askedQuestion = '';

    var para = function (line, ncites) {
      var p = el('p');
      line.split(/(\[\d{1,2}\])/).forEach(function (part) {
        var m = /^\[(\d{1,2})\]$/.exec(part);
        if (m && +m[1] >= 1 && +m[1] <= ncites) {
          var a = el('a', 'cite', part);
          a.href = '#trich-dan-' + m[1];
          p.appendChild(a);
        } else if (part) {
          p.appendChild(doc.createTextNode(part));
        }
      });
      return p;
    };

    var facts = function (card) {
      var box = el('section', 'card');
      var h = el('h3');
      var a = el('a', '', card.title);
      a.href = card.url;
      h.appendChild(a);
      box.appendChild(h);
      var dl = el('dl', 'facts');
      var row = function (label, value, cls) {
        if (!value) return;
        dl.appendChild(el('dt', '', label));
        var dd = el('dd', cls || '');
        if (typeof value === 'string') dd.textContent = value; else dd.appendChild(value);
        dl.appendChild(dd);
      };
      row('Nơi nộp hồ sơ', card.where);
      row('Thời hạn giải quyết', card.time_limit, 'key');
      row('Phí, lệ phí', card.fee, 'key');
      if (card.documents && card.documents.length) {
        var ul = el('ul');
        card.documents.forEach(function (d) { ul.appendChild(el('li', '', d.name + (d.copies ? ' (' + d.copies + ')' : ''))); });
        row('Hồ sơ', ul);
      }
      row('Hỗ trợ', card.hotline);
      box.appendChild(dl);
      var more = el('p');
      var ma = el('a', '', 'Xem đầy đủ thủ tục');
      ma.href = card.url;
      more.appendChild(ma);
      box.appendChild(more);
      return box;
    };

    var renderAnswer = function (a, typing) {
      result.textContent = '';
      result.hidden = false;
      var h = el('h2', '', 'Trả lời');
      h.id = 'ui-tra-loi';
      result.appendChild(h);
      if (a.notice) result.appendChild(el('p', 'banner warn', a.notice));
      if (!typing && a.answerable === false) result.appendChild(el('p', 'banner warn', 'Sổ tay chưa có nội dung trả lời đúng câu hỏi này.'));
      var cites = a.citations || [];
      var text = el('div', 'answer-text');
      (a.answer || '').split('\n').forEach(function (line) {
        if (line.trim()) text.appendChild(para(line.trim(), cites.length));
      });
      if (typing) {
        if (!text.lastChild) text.appendChild(el('p'));
        text.lastChild.classList.add('typing');
      }
      result.appendChild(text);
      if (a.procedure && a.procedure.url && a.procedure.url.indexOf('/docs/') === 0) result.appendChild(facts(a.procedure));
      if (cites.length) {
        result.appendChild(el('h3', '', 'Căn cứ trích dẫn'));
        var ol = el('ol', 'citations');
        cites.forEach(function (c) {
          var li = el('li');
          li.id = 'trich-dan-' + c.n;
          var link = el('a', '', c.label);
          link.href = c.url && c.url.indexOf('/docs/') === 0 ? c.url : '/docs/' + c.doc + (c.anchor ? '#' + c.anchor : '');
          li.appendChild(link);
          if (c.quote) li.appendChild(el('blockquote', '', c.quote));
          ol.appendChild(li);
        });
        result.appendChild(ol);
      }
      if (!typing && a.nearest && a.nearest.length) {
        result.appendChild(el('h3', '', 'Trang gần nhất'));
        var ul = el('ul', 'doc-list');
        a.nearest.forEach(function (n) {
          var li = el('li');
          var link = el('a', '', n.title);
          link.href = n.url;
          li.appendChild(link);
          ul.appendChild(li);
        });
        result.appendChild(ul);
      }
      if (!typing && a.referral && a.referral.message) {
        var ref = el('p', 'banner info', a.referral.message);
        if (a.answerable === false && askForm.hasAttribute('data-tickets') && askedQuestion) {
          // The offer to send the question on: the ticket form, filled in.
          var send = el('a', '', 'Chuyển câu hỏi cho đơn vị phụ trách');
          send.href = '/tickets?' + new URLSearchParams({ q: askedQuestion }).toString();
          ref.appendChild(doc.createTextNode(' '));
          ref.appendChild(send);
        }
        result.appendChild(ref);
      }
    };

    askForm.addEventListener('submit', function (ev) {
      var q = askForm.elements.q.value.trim();
      if (!q) return;
      askedQuestion = q;
      ev.preventDefault();
      if (es) es.close();
      var checked = askForm.querySelector('input[name="form"]:checked');
      var form = checked ? checked.value : 'short';
      history.replaceState(null, '', '/ask?' + new URLSearchParams({ q: q, form: form }).toString());
      // A follow-up stays on the procedure of the previous answer.
      var params = { question: q, form: form };
      var conv = askForm.elements.conversation_id, focus = askForm.elements.focus;
      if (conv && conv.value) params.conversation_id = conv.value;
      if (focus && focus.value) params.focus = focus.value;
      var meta = {}, text = '', cites = [], started = false, finished = false;
      var show = function () {
        var a = {};
        Object.keys(meta).forEach(function (k) { a[k] = meta[k]; });
        a.answer = text;
        a.citations = cites;
        renderAnswer(a, true);
      };
      askStatus.textContent = 'Đang tìm câu trả lời…';
      if (askAfter) askAfter.hidden = true;
      es = new EventSource('/api/v1/ask/stream?' + new URLSearchParams(params).toString());
      es.addEventListener('meta', function (e) {
        started = true;
        meta = JSON.parse(e.data);
        if (meta.replace) { text = ''; cites = []; }
        show();
      });
      es.addEventListener('citation', function (e) { cites.push(JSON.parse(e.data)); show(); });
      es.addEventListener('delta', function (e) { text += JSON.parse(e.data).text; show(); });
      es.addEventListener('done', function (e) {
        finished = true;
        es.close();
        var a = JSON.parse(e.data);
        renderAnswer(a, false);
        if (conv) conv.value = a.conversation_id || '';
        if (focus) focus.value = a.focus || '';
        var hint = doc.getElementById('ask-focus');
        if (hint) {
          var title = a.procedure && a.procedure.doc === a.focus ? a.procedure.title : '';
          hint.querySelector('strong').textContent = title;
          hint.hidden = !title;
        }
        hotlineFor(q, a.answerable === false, a.question_id);
        if (askAfter) askAfter.hidden = false;
        askStatus.textContent = 'Đã trả lời.';
      });
      es.addEventListener('error', function (e) {
        if (finished) return;
        es.close();
        if (e.data) { // an error event sent by the server
          var m = JSON.parse(e.data);
          askStatus.textContent = '';
          askStatus.appendChild(el('p', 'banner error', m.message || 'Đã có lỗi xảy ra.'));
          return;
        }
        if (!started) { askForm.submit(); return; } // let the server answer or explain
        askStatus.textContent = '';
        askStatus.appendChild(el('p', 'banner error', 'Mất kết nối khi đang trả lời. Vui lòng hỏi lại.'));
      });
    });
  }

  // appendSnippet copies a snippet from the API into node. Snippets are
  // escaped text with <mark> around matches; only text and <mark> are
  // carried over, whatever the string holds.
  function appendSnippet(node, html) {
    var tpl = new DOMParser().parseFromString('<body>' + html + '</body>', 'text/html');
    tpl.body.childNodes.forEach(function (n) {
      if (n.nodeType === 3) node.appendChild(doc.createTextNode(n.textContent));
      else if (n.nodeName === 'MARK') node.appendChild(el('mark', '', n.textContent));
      else node.appendChild(doc.createTextNode(n.textContent || ''));
    });
  }

  // ---- offline page: list the procedure pages this browser has kept
  var cached = doc.querySelector('[data-cached-pages]');
  if (cached && window.caches) {
    caches.open('sotay-pages').then(function (cache) {
      return cache.keys().then(function (reqs) {
        var seen = {};
        var pages = reqs.filter(function (r) {
          var p = new URL(r.url).pathname;
          if (p.indexOf('/docs/') !== 0 || seen[p]) return false;
          seen[p] = true;
          return true;
        });
        if (!pages.length) return;
        cached.textContent = '';
        pages.slice(-50).reverse().forEach(function (r) {
          cache.match(r).then(function (res) { return res ? res.text() : ''; }).then(function (text) {
            var m = /<title>([^<]*)<\/title>/.exec(text);
            var title = m ? m[1].replace(/ · Sổ tay.*$/, '') : new URL(r.url).pathname;
            var li = el('li');
            var a = el('a');
            a.href = new URL(r.url).pathname;
            a.textContent = new DOMParser().parseFromString(title, 'text/html').body.textContent;
            li.appendChild(a);
            cached.appendChild(li);
          });
        });
      });
    });
  }

  // ---- service worker (needs https or localhost)
  if ('serviceWorker' in navigator && (window.isSecureContext || location.hostname === 'localhost')) {
    window.addEventListener('load', function () {
      navigator.serviceWorker.register('/sw.js').catch(function () { /* offline copy is a bonus */ });
    });
  }
})();
