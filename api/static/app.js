/* Web chat for Leve hele livet-assistenten. Plain browser JavaScript, no build step.
 * All server text is inserted as text nodes (textContent), never as HTML. */
(() => {
  'use strict';

  const STORAGE_KEY = 'lhl-chat-v1';
  const HISTORY_MESSAGES = 6;
  const MAX_STORED_TURNS = 60;
  const REQUEST_TIMEOUT_MS = 90000;
  const READY_POLL_MS = 1000; // how often the page asks /readyz while the documents are read in
  const MARKER_RE = /\[(\d+(?:\s*[,;]\s*\d+)*)\]/g;

  const TEXT = {
    network: 'Kunne ikke kontakte tjenesten. Prøv igjen.',
    timeout: 'Tjenesten svarte ikke i tide. Prøv igjen.',
    badResponse: 'Tjenesten ga et svar som ikke kunne leses. Prøv igjen.',
    byStatus: {
      400: 'Spørsmålet kunne ikke behandles. Prøv å formulere det på en annen måte.',
      404: 'Fant ikke det du ba om.',
      413: 'Spørsmålet er for langt. Prøv å korte det ned.',
      422: 'Spørsmålet kunne ikke behandles. Prøv å formulere det på en annen måte.',
      429: 'Det har kommet for mange spørsmål på kort tid. Vent litt og prøv igjen.',
      503: 'Tjenesten er ikke klar akkurat nå. Prøv igjen om litt.',
    },
    generic: 'Noe gikk galt. Prøv igjen.',
  };

  const ICONS = {
    check: 'M12 2C6.48 2 2 6.48 2 12s4.48 10 10 10 10-4.48 10-10S17.52 2 12 2zm-2 15-5-5 1.41-1.41L10 14.17l7.59-7.59L19 8l-9 9z',
    info: 'M12 2C6.48 2 2 6.48 2 12s4.48 10 10 10 10-4.48 10-10S17.52 2 12 2zm1 15h-2v-6h2v6zm0-8h-2V7h2v2z',
    warning: 'M1 21h22L12 2 1 21zm12-3h-2v-2h2v2zm0-4h-2v-4h2v4z',
    copy: 'M16 1H4c-1.1 0-2 .9-2 2v14h2V3h12V1zm3 4H8c-1.1 0-2 .9-2 2v14c0 1.1.9 2 2 2h11c1.1 0 2-.9 2-2V7c0-1.1-.9-2-2-2zm0 16H8V7h11v14z',
    up: 'M1 21h4V9H1v12zm22-11c0-1.1-.9-2-2-2h-6.31l.95-4.57.03-.32c0-.41-.17-.79-.44-1.06L14.17 1 7.59 7.59C7.22 7.95 7 8.45 7 9v10c0 1.1.9 2 2 2h9c.83 0 1.54-.5 1.84-1.22l3.02-7.05c.09-.23.14-.47.14-.73v-2z',
    down: 'M15 3H6c-.83 0-1.54.5-1.84 1.22l-3.02 7.05c-.09.23-.14.47-.14.73v2c0 1.1.9 2 2 2h6.31l-.95 4.57-.03.32c0 .41.17.79.44 1.06L9.83 23l6.59-6.59c.36-.36.58-.86.58-1.41V5c0-1.1-.9-2-2-2zm4 0v12h4V3h-4z',
    retry: 'M17.65 6.35A7.958 7.958 0 0 0 12 4c-4.42 0-7.99 3.58-7.99 8s3.57 8 7.99 8c3.73 0 6.84-2.55 7.73-6h-2.08A5.99 5.99 0 0 1 12 18c-3.31 0-6-2.69-6-6s2.69-6 6-6c1.66 0 3.14.69 4.22 1.78L13 11h7V4l-2.35 2.35z',
  };

  const dom = {};
  let turns = [];
  let busy = false;
  let generation = 0; // bumped by "Ny samtale" so late answers to an old conversation are dropped
  let idCounter = 0;
  let panelOpener = null;
  let panelAnchor = null;
  let documentsById = new Map();
  const narrowScreen = window.matchMedia('(max-width: 59.99rem)');
  const reducedMotion = window.matchMedia('(prefers-reduced-motion: reduce)');

  // ---------- small DOM helpers ----------

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === 'class') node.className = value;
      else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? '' : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function icon(name) {
    const ns = 'http://www.w3.org/2000/svg';
    const svg = document.createElementNS(ns, 'svg');
    svg.setAttribute('viewBox', '0 0 24 24');
    svg.setAttribute('aria-hidden', 'true');
    svg.setAttribute('focusable', 'false');
    svg.setAttribute('class', 'icon');
    const path = document.createElementNS(ns, 'path');
    path.setAttribute('fill', 'currentColor');
    path.setAttribute('d', ICONS[name]);
    svg.append(path);
    return svg;
  }

  function nextId(prefix) {
    idCounter += 1;
    return `${prefix}-${idCounter}`;
  }

  function scrollBehavior() {
    return reducedMotion.matches ? 'auto' : 'smooth';
  }

  function announce(message) {
    dom.announcer.textContent = '';
    window.setTimeout(() => { dom.announcer.textContent = message; }, 50);
  }

  function normalizeSpace(text) {
    return String(text || '').replace(/\s+/g, ' ').trim();
  }

  function stripMarkers(text) {
    return normalizeSpace(String(text || '').replace(new RegExp(`\\s*${MARKER_RE.source}`, 'g'), ''));
  }

  // ---------- storage ----------

  function loadTurns() {
    try {
      const stored = JSON.parse(window.sessionStorage.getItem(STORAGE_KEY) || '[]');
      return Array.isArray(stored) ? stored.filter((t) => t && typeof t.kind === 'string') : [];
    } catch (err) { return []; }
  }

  function saveTurns() {
    turns = turns.slice(-MAX_STORED_TURNS);
    // Storage may be full or disabled: the conversation then still works for this page view.
    try { window.sessionStorage.setItem(STORAGE_KEY, JSON.stringify(turns)); } catch (err) { /* ignore */ }
  }

  // ---------- HTTP ----------

  async function requestJson(url, body) {
    const controller = new AbortController();
    const timer = window.setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS);
    const options = { headers: { Accept: 'application/json' }, signal: controller.signal };
    if (body !== undefined) {
      options.method = 'POST';
      options.headers['Content-Type'] = 'application/json';
      options.body = JSON.stringify(body);
    }
    try {
      let response;
      try {
        response = await fetch(url, options);
      } catch (err) {
        throw new Error(err && err.name === 'AbortError' ? TEXT.timeout : TEXT.network);
      }
      let data = null;
      try { data = await response.json(); } catch (err) { data = null; }
      if (!response.ok) {
        const message = data && data.error && typeof data.error.message === 'string' ? data.error.message.trim() : '';
        const error = new Error(message || TEXT.byStatus[response.status] || `${TEXT.generic} (feilkode ${response.status})`);
        error.status = response.status;
        throw error;
      }
      if (!data || typeof data !== 'object') throw new Error(TEXT.badResponse);
      return data;
    } finally {
      window.clearTimeout(timer);
    }
  }

  // Server-sent events from POST /api/ask/stream: `delta` events (sentences of the model's
  // answer that passed the check against the sources) while it is written, then `final`
  // (the Answer, which may replace them with the fallback) or `error`.
  async function requestStream(url, body, onDelta) {
    const controller = new AbortController();
    const timer = window.setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS);
    try {
      let response;
      try {
        response = await fetch(url, {
          method: 'POST',
          headers: { Accept: 'text/event-stream', 'Content-Type': 'application/json' },
          body: JSON.stringify(body),
          signal: controller.signal,
        });
      } catch (err) {
        throw new Error(err && err.name === 'AbortError' ? TEXT.timeout : TEXT.network);
      }
      if (!response.ok || !response.body) {
        let data = null;
        try { data = await response.json(); } catch (err) { data = null; }
        const message = data && data.error && typeof data.error.message === 'string' ? data.error.message.trim() : '';
        const error = new Error(message || TEXT.byStatus[response.status] || `${TEXT.generic} (feilkode ${response.status})`);
        error.status = response.status;
        throw error;
      }
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      let buffer = '';
      for (;;) {
        let chunk;
        try { chunk = await reader.read(); } catch (err) {
          throw new Error(err && err.name === 'AbortError' ? TEXT.timeout : TEXT.network);
        }
        if (chunk.done) break;
        buffer += decoder.decode(chunk.value, { stream: true });
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let name = 'message';
          let payload = '';
          for (const line of block.split('\n')) {
            if (line.startsWith('event: ')) name = line.slice(7);
            else if (line.startsWith('data: ')) payload += line.slice(6);
          }
          let data = null;
          try { data = JSON.parse(payload); } catch (err) { continue; }
          if (name === 'delta' && data && typeof data.text === 'string') onDelta(data.text);
          else if (name === 'final' && data && typeof data === 'object') return data;
          else if (name === 'error') {
            const message = data && data.error && typeof data.error.message === 'string' ? data.error.message : '';
            throw new Error(message || TEXT.generic);
          }
        }
      }
      throw new Error(TEXT.badResponse);
    } finally {
      window.clearTimeout(timer);
    }
  }

  // ---------- asking ----------

  function buildHistory() {
    const messages = [];
    for (const turn of turns) {
      if (turn.kind === 'question') {
        messages.push({ role: 'user', content: turn.text });
      } else if (turn.kind === 'answer' && turn.data) {
        const last = messages[messages.length - 1];
        if (last && last.role === 'user' && turn.data.resolved_question) last.content = turn.data.resolved_question;
        messages.push({ role: 'assistant', content: stripMarkers(turn.data.answer) });
      } else if (turn.kind === 'error' && messages.length && messages[messages.length - 1].role === 'user') {
        messages.pop(); // a question that got no answer is no context for the next one
      }
    }
    return messages.slice(-HISTORY_MESSAGES);
  }

  async function ask(rawQuestion) {
    const question = String(rawQuestion || '').trim();
    if (!question || busy) return false;
    const myGeneration = generation;
    const history = buildHistory();
    addTurn({ kind: 'question', text: question });
    setBusy(true);
    // The text as it is written goes in a draft hidden from screen readers; the conversation
    // (a live region) announces only the final answer, which takes the draft's place.
    let draft = null;
    const onDelta = (text) => {
      if (myGeneration !== generation) return;
      if (!draft) {
        draft = el('article', { class: 'turn turn-draft', 'aria-hidden': 'true' },
          el('p', { class: 'turn-label' }, 'Skriver svar …'),
          el('div', { class: 'answer-text' }));
        dom.conversation.append(draft);
        draft.scrollIntoView({ behavior: scrollBehavior(), block: 'nearest' });
      }
      draft.querySelector('.answer-text').append(text);
    };
    const finish = (turn) => {
      if (myGeneration !== generation) return;
      if (draft) { replaceDraft(draft, turn); } else { addTurn(turn); }
    };
    let waiting = null;
    try {
      for (;;) {
        try {
          const data = await requestStream('/api/ask/stream', { question, history }, onDelta);
          finish({ kind: 'answer', question, data, feedback: {} });
          break;
        } catch (err) {
          // The service is still reading the documents or loading them: a state to show
          // while waiting, not an error. The question is asked again once it is ready.
          if (err.status !== 503 || myGeneration !== generation) throw err;
          if (!waiting) waiting = showWaiting(err.message);
          const ready = await waitUntilReady(waiting, myGeneration);
          if (!ready) return true;
        }
      }
    } catch (err) {
      finish({ kind: 'error', question, message: err.message });
    } finally {
      if (waiting) waiting.node.remove();
      if (myGeneration === generation) setBusy(false);
    }
    return true;
  }

  function replaceDraft(draft, turn) {
    turns.push(turn);
    saveTurns();
    const node = renderTurn(turn);
    draft.replaceWith(node);
    updateIntro();
  }

  // ---------- first start: waiting for the documents ----------

  function showWaiting(message) {
    const text = el('p', { class: 'waiting-text' }, message || TEXT.byStatus[503]);
    const bar = el('progress', { class: 'ingest-progress', max: '100', 'aria-label': 'Innlesing av dokumentene' });
    const node = el('div', { class: 'turn turn-waiting', role: 'status' },
      el('p', { class: 'turn-label' }, icon('info'), 'Et øyeblikk'),
      text, bar,
      el('p', { class: 'hint' }, 'Spørsmålet ditt besvares av seg selv når tjenesten er klar.'));
    dom.conversation.append(node);
    node.scrollIntoView({ behavior: scrollBehavior(), block: 'nearest' });
    return { node, text, bar };
  }

  function updateWaiting(waiting, status) {
    const message = status && status.error && typeof status.error.message === 'string' ? status.error.message : '';
    if (message) waiting.text.textContent = message;
    const progress = status && status.progress;
    if (progress && typeof progress.fraction === 'number') {
      waiting.bar.value = Math.round(progress.fraction * 100);
      waiting.bar.setAttribute('aria-valuetext', message || `${Math.round(progress.fraction * 100)} %`);
    } else if (status && status.state === 'loading') {
      waiting.bar.value = 100;
    }
  }

  async function readiness() {
    try {
      const response = await fetch('/readyz', { headers: { Accept: 'application/json' }, cache: 'no-store' });
      return await response.json();
    } catch (err) {
      return null; // not reachable this moment: asked again on the next tick
    }
  }

  async function waitUntilReady(waiting, myGeneration) {
    for (;;) {
      const status = await readiness();
      if (myGeneration !== generation) return false;
      if (status && status.ready === true) return true;
      if (status && status.state === 'failed') throw new Error((status.error && status.error.message) || TEXT.byStatus[503]);
      updateWaiting(waiting, status);
      await new Promise((resolve) => { window.setTimeout(resolve, READY_POLL_MS); });
    }
  }

  function setBusy(on) {
    busy = on;
    dom.send.disabled = on;
    dom.busy.hidden = !on;
    dom.conversation.setAttribute('aria-busy', String(on));
    dom.form.setAttribute('aria-busy', String(on));
  }

  function submitQuestion() {
    const text = dom.question.value;
    if (!text.trim() || busy) return;
    dom.question.value = '';
    ask(text);
  }

  // ---------- conversation rendering ----------

  function addTurn(turn) {
    turns.push(turn);
    saveTurns();
    const node = renderTurn(turn);
    dom.conversation.append(node);
    updateIntro();
    node.scrollIntoView({ behavior: scrollBehavior(), block: turn.kind === 'question' ? 'nearest' : 'start' });
  }

  function renderConversation() {
    restorePanelHome();
    dom.conversation.replaceChildren(...turns.map(renderTurn));
    updateIntro();
  }

  function updateIntro() {
    dom.intro.hidden = turns.length > 0;
  }

  function renderTurn(turn) {
    if (turn.kind === 'question') return renderQuestionTurn(turn);
    if (turn.kind === 'answer') return renderAnswerTurn(turn);
    return renderErrorTurn(turn);
  }

  function renderQuestionTurn(turn) {
    return el('div', { class: 'turn turn-question' },
      el('p', { class: 'turn-label' }, 'Du spurte'),
      el('p', { class: 'question-text' }, turn.text));
  }

  function renderErrorTurn(turn) {
    const retry = el('button', { type: 'button', class: 'btn btn-secondary btn-small retry' }, icon('retry'), 'Prøv igjen');
    retry.addEventListener('click', () => { if (!busy) ask(turn.question); });
    return el('div', { class: 'turn turn-error' },
      el('p', { class: 'turn-label' }, icon('warning'), 'Feil'),
      el('p', { class: 'error-text' }, turn.message || TEXT.generic),
      turn.question ? retry : null);
  }

  function sortedCitations(data) {
    const list = Array.isArray(data.citations) ? data.citations.filter((c) => c && typeof c === 'object') : [];
    return list.slice().sort((a, b) => Number(a.n) - Number(b.n));
  }

  function describeCitation(citation) {
    const parts = [citation.section, citation.page != null ? `side ${citation.page}` : null];
    return parts.filter((p) => p !== null && p !== undefined && String(p).trim() !== '').join(' · ');
  }

  function renderAnswerTurn(turn) {
    const data = turn.data || {};
    const found = data.found === true;
    const citations = sortedCitations(data);
    const article = el('article', {
      class: `turn turn-answer ${found ? 'is-found' : 'is-not-found'}`,
      'data-found': String(found),
      'data-answer-id': data.answer_id || '',
    });
    const add = (...nodes) => nodes.forEach((node) => { if (node) article.append(node); });
    const label = found
      ? el('p', { class: 'turn-label' }, icon('check'), 'Svar')
      : el('p', { class: 'turn-label not-found-label' }, icon('info'), 'Ikke funnet i dokumentene');
    const resolved = normalizeSpace(data.resolved_question);
    const showResolved = resolved && resolved.toLowerCase() !== normalizeSpace(turn.question).toLowerCase();
    add(
      label,
      showResolved ? el('p', { class: 'resolved' }, `Tolket som: «${resolved}»`) : null,
      renderAnswerText(String(data.answer || ''), citations, article),
      data.mode === 'generative' ? el('p', { class: 'mode-note' }, 'Svaret er formulert av en språkmodell ut fra kildene under.') : null,
      data.grounding && data.grounding.note ? el('p', { class: 'mode-note grounding-note' }, String(data.grounding.note)) : null,
      found && isUncertain(data) ? el('p', { class: 'mode-note uncertain-note' }, icon('info'), UNCERTAIN_NOTE) : null,
      citations.length ? renderSourceList(citations, found, article) : null,
      renderAnswerActions(turn, citations, found));
    return article;
  }

  // `confidence` is a calibrated probability that the answer's sentence answers: below one
  // half, the answer is more likely wrong than right, and the page says so.
  const UNCERTAIN_BELOW = 0.5;
  const UNCERTAIN_NOTE = 'Usikkert svar: les kilden før du bruker det.';

  function isUncertain(data) {
    return typeof data.confidence === 'number' && data.mode !== 'generative' && data.confidence < UNCERTAIN_BELOW;
  }

  function renderAnswerText(text, citations, article) {
    const byN = new Map(citations.map((c) => [Number(c.n), c]));
    const container = el('div', { class: 'answer-text' });
    let last = 0;
    for (const match of text.matchAll(MARKER_RE)) {
      container.append(text.slice(last, match.index));
      const numbers = match[1].split(/\s*[,;]\s*/).map(Number);
      last = match.index + match[0].length;
      if (numbers.every((n) => byN.has(n))) {
        // The chips and the punctuation right after them stay on one line: a full stop
        // must not wrap onto a line of its own.
        const group = el('span', { class: 'cite-group' });
        numbers.forEach((n) => group.append(citeLink(byN.get(n), article)));
        const punctuation = text.slice(last).match(/^[.,;:!?»)]+/);
        if (punctuation) {
          group.append(punctuation[0]);
          last += punctuation[0].length;
        }
        container.append(group);
      } else {
        container.append(match[0]);
      }
    }
    container.append(text.slice(last));
    return container;
  }

  function citeLink(citation, article) {
    const link = el('a', { class: 'cite', href: '#', 'data-n': citation.n, 'aria-label': `Kilde ${citation.n}`, title: citation.title || null }, `[${citation.n}]`);
    link.addEventListener('click', (event) => {
      event.preventDefault();
      openPassage(citation, link, article);
    });
    return link;
  }

  function renderSourceList(citations, found, article) {
    const headingId = nextId('sources');
    const items = citations.map((citation) => {
      const button = el('button', { type: 'button', class: 'source-link', 'data-n': citation.n },
        el('span', { class: 'source-n' }, `[${citation.n}]`), ' ',
        el('span', { class: 'source-title' }, citation.title || citation.doc_id || 'Uten tittel'));
      button.addEventListener('click', () => openPassage(citation, button, article));
      const meta = describeCitation(citation);
      // Under a refusal each related passage shows the sentence that came closest.
      const closest = !found && citation.highlight ? el('q', { class: 'source-quote' }, normalizeSpace(citation.highlight)) : null;
      return el('li', null, button, meta ? el('span', { class: 'source-meta' }, meta) : null, closest);
    });
    return el('div', { class: found ? 'sources' : 'sources related' },
      el('h3', { class: 'sources-heading', id: headingId }, found ? 'Kilder' : 'Relaterte avsnitt (ikke et svar)'),
      el('ol', { class: 'source-list', 'aria-labelledby': headingId }, items));
  }

  // ---------- copy and feedback ----------

  function answerAsPlainText(data, citations, found) {
    let text = String(data.answer || '').trim();
    if (citations.length) {
      const heading = found ? 'Kilder:' : 'Relaterte avsnitt (ikke et svar):';
      const lines = citations.map((c) => {
        const meta = describeCitation(c);
        const quote = !found && c.highlight ? `\n    «${normalizeSpace(c.highlight)}»` : '';
        return `[${c.n}] ${c.title || c.doc_id || ''}${meta ? ` – ${meta}` : ''}${quote}`;
      });
      text += `\n\n${heading}\n${lines.join('\n')}`;
    }
    return text;
  }

  async function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      try {
        await navigator.clipboard.writeText(text);
        return true;
      } catch (err) { /* fall back below */ }
    }
    const buffer = el('textarea', { class: 'copy-buffer', readonly: true, 'aria-hidden': 'true', tabindex: '-1' });
    buffer.value = text;
    document.body.append(buffer);
    buffer.select();
    let ok = false;
    try { ok = document.execCommand('copy'); } catch (err) { ok = false; }
    buffer.remove();
    return ok;
  }

  function renderAnswerActions(turn, citations, found) {
    const copyLabel = el('span', null, 'Kopier svar');
    const copyButton = el('button', { type: 'button', class: 'btn btn-quiet btn-small copy' }, icon('copy'), copyLabel);
    copyButton.addEventListener('click', async () => {
      const ok = await copyText(answerAsPlainText(turn.data, citations, found));
      copyButton.focus();
      copyLabel.textContent = ok ? 'Kopiert' : 'Kunne ikke kopiere';
      announce(ok ? 'Kopiert' : 'Kunne ikke kopiere. Merk teksten og kopier den manuelt.');
      window.setTimeout(() => { copyLabel.textContent = 'Kopier svar'; }, 2500);
    });
    return el('div', { class: 'answer-actions' }, copyButton, renderFeedback(turn));
  }

  function renderFeedback(turn) {
    const state = turn.feedback || (turn.feedback = {});
    const promptId = nextId('fb-prompt');
    const commentId = nextId('fb-comment');
    const thumb = (rating, label) => el('button', { type: 'button', class: `btn btn-quiet btn-icon fb-${rating}`, 'aria-pressed': 'false', title: label },
      icon(rating), el('span', { class: 'visually-hidden' }, label));
    const up = thumb('up', 'Godt svar');
    const down = thumb('down', 'Dårlig svar');
    const comment = el('textarea', { id: commentId, class: 'fb-comment', rows: '2', maxlength: '2000' });
    comment.value = state.comment || '';
    const sendButton = el('button', { type: 'button', class: 'btn btn-secondary btn-small fb-send' }, 'Send tilbakemelding');
    const errorSlot = el('div', { class: 'fb-error-slot' });
    const form = el('div', { class: 'fb-form' },
      el('label', { for: commentId }, 'Kommentar (valgfritt)'), comment, sendButton, errorSlot);
    const wrapper = el('div', { class: 'feedback' },
      el('div', { class: 'fb-buttons', role: 'group', 'aria-labelledby': promptId },
        el('span', { id: promptId, class: 'fb-prompt' }, 'Var svaret nyttig?'), up, down),
      form);

    const thanks = () => el('p', { class: 'fb-done', tabindex: '-1' }, icon('check'), 'Takk for tilbakemeldingen!');

    function refresh() {
      up.setAttribute('aria-pressed', String(state.rating === 'up'));
      down.setAttribute('aria-pressed', String(state.rating === 'down'));
      up.disabled = down.disabled = Boolean(state.sent);
      form.hidden = !state.rating || Boolean(state.sent);
    }

    function choose(rating) {
      state.rating = state.rating === rating ? null : rating;
      saveTurns();
      refresh();
      if (state.rating) comment.focus();
    }

    up.addEventListener('click', () => choose('up'));
    down.addEventListener('click', () => choose('down'));
    comment.addEventListener('input', () => { state.comment = comment.value; saveTurns(); });
    let sending = false;
    sendButton.addEventListener('click', async () => {
      if (!state.rating || sending) return;
      sending = true; // aria-disabled rather than disabled, so keyboard focus stays on the button
      sendButton.setAttribute('aria-disabled', 'true');
      errorSlot.replaceChildren();
      const data = turn.data || {};
      try {
        await requestJson('/api/feedback', {
          answer_id: data.answer_id || '',
          question: turn.question || data.question || '',
          answer: String(data.answer || ''),
          rating: state.rating,
          comment: comment.value.trim() || null,
        });
        state.sent = true;
        saveTurns();
        refresh();
        const done = thanks();
        wrapper.append(done);
        done.focus();
      } catch (err) {
        errorSlot.append(el('p', { class: 'fb-error' }, icon('warning'), `Tilbakemeldingen ble ikke sendt. ${err.message}`));
      } finally {
        sending = false;
        sendButton.removeAttribute('aria-disabled');
      }
    });

    refresh();
    if (state.sent) wrapper.append(thanks());
    return wrapper;
  }

  // ---------- passage panel ----------

  function restorePanelHome() {
    if (dom.panel.parentElement !== dom.sidebar) dom.sidebar.prepend(dom.panel);
  }

  function placePanel() {
    if (!narrowScreen.matches) {
      restorePanelHome();
    } else if (panelAnchor && panelAnchor.isConnected) {
      panelAnchor.append(dom.panel); // below the answer it belongs to
    } else {
      dom.conversation.before(dom.panel); // deep link: at the top of the page content
    }
  }

  // The reader's answer span, in bold inside the highlighted sentence.
  function fillMark(mark, sentence, span) {
    const at = span ? sentence.indexOf(span) : -1;
    if (at < 0) { mark.append(sentence); return; }
    mark.append(sentence.slice(0, at), el('strong', { class: 'answer-span' }, span), sentence.slice(at + span.length));
  }

  function fillHighlighted(container, text, highlight, span) {
    container.replaceChildren();
    const needle = normalizeSpace(highlight);
    if (!needle) {
      container.append(text);
      return null;
    }
    let start = text.indexOf(highlight);
    let length = String(highlight).length;
    if (start < 0) {
      // tolerate differences in white space and letter case
      const pattern = needle.split(' ').map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('\\s+');
      const match = new RegExp(pattern, 'i').exec(text);
      if (match) { start = match.index; length = match[0].length; }
    }
    if (start < 0) {
      container.append(text);
      return null;
    }
    const mark = el('mark', null);
    fillMark(mark, text.slice(start, start + length), span);
    container.append(text.slice(0, start), mark, text.slice(start + length));
    return mark;
  }

  function showPanel({ kicker, title, meta, text, highlight, span, source, isError }) {
    dom.passageKicker.textContent = kicker;
    dom.passageTitle.textContent = title;
    dom.passageMeta.textContent = meta || '';
    dom.passageMeta.hidden = !meta;
    dom.panel.classList.toggle('is-error', Boolean(isError));
    const mark = fillHighlighted(dom.passageText, text || '', highlight, span);
    dom.passageSource.replaceChildren();
    if (source && /^https?:\/\//i.test(source)) {
      dom.passageSource.append(el('a', { href: source, rel: 'noopener noreferrer', target: '_blank' }, 'Åpne originaldokumentet', el('span', { class: 'visually-hidden' }, ' (åpnes i ny fane)')));
    } else if (source) {
      dom.passageSource.append(`Fil: ${source}`);
    }
    placePanel();
    dom.panel.hidden = false;
    dom.passageText.scrollTop = 0;
    updatePassageScrolling();
    dom.passageTitle.focus({ preventScroll: !narrowScreen.matches });
    if (mark && dom.passageText.scrollHeight > dom.passageText.clientHeight) {
      dom.passageText.scrollTop = Math.max(0, mark.offsetTop - dom.passageText.clientHeight / 3);
    }
  }

  // On wide screens the passage text scrolls inside the panel; it must then be reachable by keyboard.
  function updatePassageScrolling() {
    const scrollable = dom.passageText.scrollHeight > dom.passageText.clientHeight + 1;
    if (scrollable) dom.passageText.setAttribute('tabindex', '0');
    else dom.passageText.removeAttribute('tabindex');
  }

  function openPassage(citation, opener, anchor) {
    document.querySelectorAll('.cite.is-active, .source-link.is-active').forEach((n) => n.classList.remove('is-active'));
    if (opener) opener.classList.add('is-active');
    panelOpener = opener || null;
    panelAnchor = anchor || null;
    showPanel({
      kicker: citation.n != null ? `Kilde ${citation.n}` : 'Kildeavsnitt',
      title: citation.title || citation.doc_id || 'Uten tittel',
      meta: describeCitation(citation),
      text: String(citation.text || ''),
      highlight: citation.highlight,
      span: citation.span,
      source: sourceLink(citation),
    });
  }

  async function openPassageById(chunkId) {
    panelOpener = null;
    panelAnchor = null;
    try {
      const passage = await requestJson(`/api/passage/${encodeURIComponent(chunkId)}`);
      openPassage(passage, null, null);
    } catch (err) {
      showPanel({ kicker: 'Kildeavsnitt', title: 'Fant ikke avsnittet', text: err.message, isError: true });
    }
  }

  function closePanel(returnFocus) {
    if (dom.panel.hidden) return;
    dom.panel.hidden = true;
    document.querySelectorAll('.cite.is-active, .source-link.is-active').forEach((n) => n.classList.remove('is-active'));
    if (returnFocus) {
      const target = panelOpener && panelOpener.isConnected && !panelOpener.disabled ? panelOpener : dom.question;
      target.focus();
    }
    panelOpener = null;
    panelAnchor = null;
    restorePanelHome();
  }

  // ---------- documents ----------

  function formatDate(value) {
    const text = String(value || '').trim();
    const iso = /^(\d{4})-(\d{2})-(\d{2})/.exec(text);
    if (!iso) return text;
    const date = new Date(Number(iso[1]), Number(iso[2]) - 1, Number(iso[3]));
    try {
      return new Intl.DateTimeFormat('nb-NO', { day: 'numeric', month: 'long', year: 'numeric' }).format(date);
    } catch (err) {
      return text;
    }
  }

  function renderDocument(doc) {
    const title = doc.title || doc.doc_id || 'Uten tittel';
    const meta = [doc.publisher, formatDate(doc.date)].filter((p) => p && String(p).trim()).join(' · ');
    const url = [doc.source_url, doc.source].find((s) => s && /^https?:\/\//i.test(s));
    const titleNode = url
      ? el('a', { href: url, rel: 'noopener noreferrer' }, title)
      : el('span', null, title);
    return el('li', { class: 'document' },
      el('span', { class: 'document-title' }, titleNode),
      meta ? el('span', { class: 'document-meta' }, meta) : null);
  }

  // The original document on the web where it has an address, else the file it was read from.
  function sourceLink(citation) {
    const doc = documentsById.get(citation.doc_id);
    return citation.source_url || (doc && doc.source_url) || citation.source;
  }

  async function loadDocuments() {
    if (!dom.documentsStatus.textContent) dom.documentsStatus.textContent = 'Henter dokumentlisten …';
    try {
      const data = await requestJson('/api/documents');
      const docs = Array.isArray(data.documents) ? data.documents.filter((d) => d && typeof d === 'object') : [];
      documentsById = new Map(docs.map((d) => [d.doc_id, d]));
      dom.documents.replaceChildren(...docs.map(renderDocument));
      dom.documentsCount.textContent = `(${docs.length})`;
      dom.documentsStatus.textContent = docs.length ? '' : 'Ingen dokumenter er lastet inn ennå.';
    } catch (err) {
      // The service is still starting (reading the documents): say how far it has come,
      // and fill the list in once it is ready.
      if (err.status === 503) {
        dom.documentsStatus.textContent = err.message || 'Dokumentene leses inn …';
        window.setTimeout(loadDocuments, READY_POLL_MS * 2);
      } else {
        dom.documentsStatus.textContent = `Kunne ikke hente dokumentlisten. ${err.message}`;
      }
    }
  }

  // ---------- start-up ----------

  function startNewConversation() {
    generation += 1;
    turns = [];
    saveTurns();
    closePanel(false);
    setBusy(false);
    renderConversation();
    dom.question.value = '';
    dom.question.focus();
    announce('Ny samtale startet');
  }

  function handleDeepLinks() {
    const params = new URLSearchParams(window.location.search);
    const question = params.get('q');
    const passage = params.get('passage');
    if (question === null && passage === null) return;
    // Drop the parameters so a reload does not ask the same question again.
    params.delete('q');
    params.delete('passage');
    const rest = params.toString();
    window.history.replaceState(null, '', `${window.location.pathname}${rest ? `?${rest}` : ''}${window.location.hash}`);
    if (passage && passage.trim()) openPassageById(passage.trim());
    if (question && question.trim()) ask(question);
  }

  function bindEvents() {
    dom.form.addEventListener('submit', (event) => {
      event.preventDefault();
      submitQuestion();
    });
    dom.question.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && !event.shiftKey && !event.isComposing && !event.altKey && !event.ctrlKey && !event.metaKey) {
        event.preventDefault();
        submitQuestion();
      }
    });
    document.querySelectorAll('.example').forEach((button) => {
      button.addEventListener('click', () => {
        dom.question.focus(); // the intro with this button disappears once the question is asked
        ask(button.textContent);
      });
    });
    dom.newChat.addEventListener('click', startNewConversation);
    dom.passageClose.addEventListener('click', () => closePanel(true));
    document.addEventListener('keydown', (event) => {
      if (event.key !== 'Escape' || dom.panel.hidden) return;
      const active = document.activeElement;
      const focusInPanel = dom.panel.contains(active) || active === document.body || active === null;
      closePanel(focusInPanel || active === panelOpener);
    });
    narrowScreen.addEventListener('change', () => {
      if (dom.panel.hidden) return;
      placePanel();
      updatePassageScrolling();
    });
  }

  function init() {
    const byId = (id) => document.getElementById(id);
    Object.assign(dom, {
      form: byId('ask-form'), question: byId('question'), send: byId('send'), busy: byId('busy'),
      conversation: byId('conversation'), intro: byId('intro'), newChat: byId('new-chat'),
      sidebar: byId('sidebar'), panel: byId('passage-panel'), passageClose: byId('passage-close'),
      passageKicker: byId('passage-kicker'), passageTitle: byId('passage-title'), passageMeta: byId('passage-meta'),
      passageText: byId('passage-text'), passageSource: byId('passage-source'),
      documents: byId('documents'), documentsCount: byId('documents-count'), documentsStatus: byId('documents-status'),
      documentsSection: byId('documents-section'), announcer: byId('announcer'),
    });
    if (!narrowScreen.matches) dom.documentsSection.open = true;
    turns = loadTurns();
    renderConversation();
    bindEvents();
    loadDocuments();
    handleDeepLinks();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
