// "Draft evidence summary": the LLM's draft, shown sentence by sentence as
// the server streams it.
//
// The draft route is Server-Sent Events, but EventSource cannot send the
// Authorization header, so the stream is read with fetch() and a reader,
// and the `event:` / `data:` blocks are parsed here. Events: `sentence`
// (kept, with the ids of the facts, doubts and citations it cites),
// `dropped` (left out, with why), `progress` (the model is still writing),
// `done` (the stored draft) or `error`.

import { authHeaders, describe, errorFrom, ApiError, enc } from './api.js';
import { h, fill, setText, when, errorBox } from './dom.js';
import { t } from './i18n.js';

/** Parse one SSE block ("event: x\ndata: {...}") into {event, data}. */
function parseBlock(block) {
  let event = 'message';
  const data = [];
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) continue; // keep-alive comment
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
  }
  if (!data.length) return null;
  const text = data.join('\n');
  try {
    return { event, data: JSON.parse(text) };
  } catch {
    return { event, data: text };
  }
}

/** Read the draft stream of assessment `id`, calling onEvent(event, data). */
async function streamDraft(id, onEvent, signal) {
  let resp;
  try {
    resp = await fetch(`/v1/assessments/${enc(id)}/draft`, {
      headers: authHeaders({ Accept: 'text/event-stream' }),
      signal,
    });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, 'network', String(e.message || e));
  }
  if (!resp.ok) throw await errorFrom(resp);
  const reader = resp.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value.replace(/\r\n?/g, '\n');
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const ev = parseBlock(buffer.slice(0, end));
      buffer = buffer.slice(end + 2);
      if (ev) onEvent(ev.event, ev.data);
    }
  }
  const last = parseBlock(buffer.trim());
  if (last) onEvent(last.event, last.data);
}

/**
 * A sentence's text with its "[F1]"-style ids turned into chips that jump
 * to the cited fact, doubt or knowledge-base citation.
 */
function sentenceNode(s, chip) {
  const li = h('li', { class: 'draft-sentence' });
  const seen = new Set();
  for (const part of String(s.text).split(/(\[[FDK]\d+\])/)) {
    const m = /^\[([FDK]\d+)\]$/.exec(part);
    if (m) {
      seen.add(m[1]);
      li.append(chip(m[1]));
    } else if (part) {
      li.append(document.createTextNode(part));
    }
  }
  for (const id of s.citations || []) if (!seen.has(id)) li.append(' ', chip(id));
  if (s.flagged) li.append(h('span', { class: 'flag', text: ` ⚠ ${s.flagged}` }));
  return li;
}

/**
 * The draft panel of one assessment. `chip(id)` makes a citation chip;
 * `existing` is the stored draft, if any.
 */
export function draftPanel(assessmentId, existing, chip) {
  const status = h('p', { class: 'draft-status', attrs: { role: 'status', 'aria-live': 'polite' } });
  const kept = h('ol', { class: 'draft-sentences', attrs: { 'aria-live': 'polite' } });
  const droppedList = h('ul', { class: 'dropped-list' });
  const droppedSummary = h('summary');
  const dropped = h('details', { class: 'dropped', hidden: true }, droppedSummary, droppedList);
  const start = h('button', { type: 'button', class: 'primary', t: existing ? 'redraft' : 'draftSummary' });
  const stop = h('button', { type: 'button', t: 'stop', hidden: true });
  const error = h('div', { hidden: true });
  const panel = h('section', { class: 'card draft', dataset: { draftState: existing ? 'done' : 'idle' }, attrs: { 'aria-labelledby': `draft-h-${assessmentId}` } },
    h('h3', { id: `draft-h-${assessmentId}`, t: 'draftTitle' }),
    h('p', { class: 'hint', t: 'draftHint' }),
    h('div', { class: 'actions' }, start, stop),
    status, error, kept, dropped);

  let droppedCount = 0;
  const addDropped = (d) => {
    droppedCount += 1;
    dropped.hidden = false;
    setText(droppedSummary, 'droppedCount', { n: droppedCount });
    droppedList.append(h('li', {}, h('span', { text: d.text }), h('span', { class: 'muted', text: ` — ${d.reason}` })));
  };
  const showDraft = (d) => {
    fill(kept);
    fill(droppedList);
    droppedCount = 0;
    dropped.hidden = true;
    for (const s of d.sentences || []) kept.append(sentenceNode(s, chip));
    for (const x of d.dropped || []) addDropped(x);
    setText(status, (d.sentences || []).length ? 'draftDone' : 'draftEmpty', { model: d.model || '', at: when(d.generated_at) });
  };
  if (existing) showDraft(existing);

  let controller = null;
  start.addEventListener('click', async () => {
    controller = new AbortController();
    fill(kept);
    fill(droppedList);
    droppedCount = 0;
    dropped.hidden = true;
    error.hidden = true;
    start.disabled = true;
    stop.hidden = false;
    panel.dataset.draftState = 'streaming';
    status.classList.add('working');
    setText(status, 'draftWaiting');
    let finished = false;
    try {
      await streamDraft(assessmentId, (event, data) => {
        if (event === 'sentence') kept.append(sentenceNode(data, chip));
        else if (event === 'dropped') addDropped(data);
        else if (event === 'progress') setText(status, 'draftProgress', { n: data.pieces });
        else if (event === 'done') { finished = true; showDraft(data); }
        else if (event === 'error') throw new ApiError(500, data.code || 'internal', data.message || '');
      }, controller.signal);
      if (!finished) throw new ApiError(0, 'network', 'the stream ended before the draft was done');
      panel.dataset.draftState = 'done';
    } catch (e) {
      panel.dataset.draftState = 'failed';
      if (e.name === 'AbortError') {
        setText(status, 'draftStopped');
      } else {
        status.textContent = '';
        error.hidden = false;
        fill(error, errorBox(describe(e, { overloaded: 'errModelBusy', network: 'errDraftCut' })));
      }
    } finally {
      status.classList.remove('working');
      start.disabled = false;
      setText(start, 'redraft');
      stop.hidden = true;
    }
  });
  stop.addEventListener('click', () => controller?.abort());
  return panel;
}
