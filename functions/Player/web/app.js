// The player page: sign in with the API's token, the cameras it may see with a timeline each (recorded ranges and
// gaps with their reasons), playback of the selected camera over the range through its HLS playlist, jumps across
// gaps, a verified download of the recording on screen, and each recorder's upload backlog.

import { ApiError, createApi } from './api.js';
import * as model from './model.js';
import { Playback, playbackEngine } from './playback.js';

const TOKEN_KEY = 'cctv.player.token';
const AUTO_REFRESH_MS = 60 * 1000;
const MAX_RANGE_MS = 24 * 60 * 60 * 1000;

const $ = id => document.getElementById(id);
const el = (tag, props = {}, ...children) => {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children.filter(c => c !== null && c !== undefined));
  return node;
};

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium', hour12: false });
const time = ms => timeFormat.format(new Date(ms));
const dateTime = ms => dateTimeFormat.format(new Date(ms));

const state = {
  api: null,
  cameras: [],
  range: null,
  timelines: new Map(), // camera key (recorder~camera) -> timeline, or an ApiError
  recorders: null, // recorder ID -> status row, or null when /api/status is not ours to see
  selected: null,
  playback: null,
  playlistTimer: null,
  autoTimer: null,
  generation: 0, // the latest loadRange: an older one that answers late changes nothing
};

// ---- messages ---------------------------------------------------------------------------------------------------

function showMessage(kind, text) {
  const box = $('message');
  box.textContent = text;
  box.dataset.kind = kind;
  box.hidden = false;
}

function clearMessage() {
  $('message').hidden = true;
  $('message').textContent = '';
  delete $('message').dataset.kind;
}

/** What to tell the user about a failed call, in words that say what to do. */
function explain(error, what) {
  if (!(error instanceof ApiError)) {
    return `${what} failed: ${error?.message ?? error}`;
  }
  switch (error.kind) {
    case 'unauthorized':
      return `The API refused this token (HTTP 401${error.detail ? `: ${error.detail}` : ''}). ` +
        'Check it and sign in again: on the embedded backend it is the token the functions host printed when it started.';
    case 'unreachable':
      return `The backend cannot be reached at ${window.location.origin}: ${what} failed with no answer. ` +
        'Is the functions host running, and is this device online? Press Refresh to try again.';
    case 'timeout':
      return `The backend did not answer in time: ${what} failed. Press Refresh to try again.`;
    case 'unavailable':
      return `The backend is up but cannot serve ${what} right now (HTTP 503${error.detail ? `: ${error.detail}` : ''}). Try again shortly.`;
    default:
      return `${what} failed: ${error.message}`;
  }
}

/** A failure that concerns the whole page: a refused token sends the user back to sign in. */
function fail(error, what) {
  if (error instanceof ApiError && error.kind === 'unauthorized') {
    signOut(explain(error, what));
    return;
  }
  showMessage('error', explain(error, what));
}

// ---- sign-in ------------------------------------------------------------------------------------------------------

async function signIn(token) {
  clearMessage();
  const api = createApi({ token });
  $('signin-button').disabled = true;
  try {
    const cameras = await api.cameras();
    state.api = api;
    state.cameras = cameras;
    sessionStorage.setItem(TOKEN_KEY, token);
    $('signin').hidden = true;
    $('app').hidden = false;
    $('signout').hidden = false;
    if (cameras.length === 0) {
      showMessage('warning', 'This token may see no camera: ask for a grant of a site or camera.');
    }
    await loadRange();
    startAutoRefresh();
  } catch (e) {
    sessionStorage.removeItem(TOKEN_KEY);
    showSignIn();
    showMessage('error', explain(e, 'signing in'));
  } finally {
    $('signin-button').disabled = false;
  }
}

function showSignIn() {
  $('app').hidden = true;
  $('signout').hidden = true;
  $('signin').hidden = false;
  $('token').focus();
}

function signOut(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  clearTimeout(state.playlistTimer);
  clearInterval(state.autoTimer);
  state.playback?.destroy();
  Object.assign(state, { api: null, cameras: [], timelines: new Map(), recorders: null, selected: null, playback: null });
  $('cameras').replaceChildren();
  $('player').hidden = true;
  $('token').value = '';
  showSignIn();
  if (message) {
    showMessage('error', message);
  } else {
    clearMessage();
  }
}

// ---- range --------------------------------------------------------------------------------------------------------

const toLocalInput = ms => {
  const d = new Date(ms);
  const pad = n => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
};

/** The range the controls name, or null (with a message) when the custom one is not usable. */
function chosenRange() {
  const preset = $('range').value;
  if (preset !== 'custom') {
    return { ...model.presetRange(preset, Date.now()), live: true };
  }
  const from = new Date($('from').value).getTime();
  const to = new Date($('to').value).getTime();
  if (!Number.isFinite(from) || !Number.isFinite(to)) {
    showMessage('warning', 'Give both a start and an end for the custom range.');
    return null;
  }
  if (to <= from) {
    showMessage('warning', 'The end of the range must be after its start.');
    return null;
  }
  if (to - from > MAX_RANGE_MS) {
    showMessage('warning', 'A range covers at most 24 hours: narrow it.');
    return null;
  }
  return { from, to, live: false };
}

/** Loads every camera's timeline (and the recorders' backlog) over the chosen range; reloads the player when asked. */
async function loadRange({ reloadPlayer = true, quiet = false } = {}) {
  const range = chosenRange();
  if (!range || !state.api) {
    return;
  }
  const generation = ++state.generation;
  if (!quiet) {
    clearMessage();
  }
  const api = state.api;
  const [status, ...timelines] = await Promise.allSettled([
    api.status(),
    ...state.cameras.map(c => api.timeline(c.key, range.from, range.to)),
  ]);
  if (generation !== state.generation || api !== state.api) {
    return;
  }
  const failures = [status, ...timelines].filter(r => r.status === 'rejected').map(r => r.reason);
  const global = failures.find(e => e instanceof ApiError && ['unauthorized', 'unreachable', 'timeout', 'unavailable'].includes(e.kind));
  if (global) {
    fail(global, 'loading the cameras\' timelines');
    return;
  }
  state.range = range;
  $('range-label').textContent = `${dateTime(range.from)} – ${dateTime(range.to)}`;
  state.cameras.forEach((c, i) => state.timelines.set(c.key, timelines[i].status === 'fulfilled' ? timelines[i].value : timelines[i].reason));
  state.recorders = status.status === 'fulfilled' ? new Map(status.value.recorders.map(r => [r.recorder_id, r])) : null;
  renderCameras();
  renderRecorders(status.status === 'fulfilled' ? status.value : status.reason);
  if (state.selected && reloadPlayer) {
    await selectCamera(state.selected, { startWall: state.playback?.wallClock() ?? null });
  }
}

function startAutoRefresh() {
  clearInterval(state.autoTimer);
  state.autoTimer = setInterval(() => {
    if (state.range?.live && document.visibilityState === 'visible') {
      loadRange({ reloadPlayer: false, quiet: true });
    }
  }, AUTO_REFRESH_MS);
}

// ---- cameras and timelines ----------------------------------------------------------------------------------------

function renderCameras() {
  const list = $('cameras');
  list.replaceChildren(...state.cameras.map(renderCamera));
  updatePlayhead();
}

function renderCamera(camera) {
  const { from, to } = state.range;
  const timeline = state.timelines.get(camera.key);
  const item = el('li', { className: 'camera card' });
  item.dataset.cameraKey = camera.key;
  item.dataset.cameraId = camera.id;
  if (camera.key === state.selected) {
    item.classList.add('selected');
    item.setAttribute('aria-current', 'true');
  }
  const pick = el('button', { type: 'button', className: 'camera-pick' },
    el('span', { className: 'name', textContent: camera.name || camera.id }),
    el('span', { className: 'id', textContent: camera.id }),
    el('span', { className: 'where small muted', textContent: whereOf(camera) }));
  pick.addEventListener('click', () => selectCamera(camera.key));
  const detail = el('p', { className: 'timeline-detail small', role: 'status' });
  const summary = el('p', { className: 'summary small' });
  item.append(pick, summary);

  if (timeline instanceof Error) {
    summary.textContent = explain(timeline, 'its timeline');
    summary.classList.add('error');
    return item;
  }
  const bar = el('div', { className: 'timeline', role: 'group' });
  bar.setAttribute('aria-label', `Timeline of ${camera.id} (${whereOf(camera)})`);
  const blocks = renderBar(bar, timeline.entries, from, to, {
    recorded: (wall, label) => {
      detail.textContent = label;
      selectCamera(camera.key, { startWall: wall });
    },
    gap: label => {
      detail.textContent = label;
    },
  });
  const axis = el('div', { className: 'axis small muted' }, el('span', { textContent: time(from) }), el('span', { textContent: time(to) }));

  const gaps = blocks.filter(b => b.kind === 'gap');
  const breaks = model.chainBreakLines(timeline.chain_breaks);
  const recorder = state.recorders?.get(camera.recorder_id);
  summary.textContent = [
    timeline.recorded_seconds > 0 ? `${model.formatDuration(timeline.recorded_seconds)} recorded` : 'no footage in this range',
    gaps.length === 1 ? '1 gap' : `${gaps.length} gaps`,
    model.clockNote(timeline.clocks),
    breaks.length > 0 ? `evidence chain: ${breaks.length === 1 ? '1 break' : `${breaks.length} breaks`}` : null,
    // The line above names the recorder: say only how it is.
    recorder ? `recorder ${recorder.offline ? 'offline' : 'online'}, backlog ${recorder.backlog_segments}` : null,
  ].filter(Boolean).join(' · ');
  item.append(bar, axis, detail);
  if (breaks.length > 0) {
    item.append(el('ul', { className: 'chain-breaks message' }, ...breaks.map(line => el('li', { textContent: line }))));
    item.lastChild.dataset.kind = 'error';
  }
  return item;
}

/**
 * Fills a timeline bar over [from, to) with its recorded blocks and gaps (a button each: a tap on a gap shows its
 * reason, a tap on footage plays from there) and a playhead; returns the blocks.
 */
function renderBar(bar, entries, from, to, on) {
  const blocks = model.timelineBlocks(entries, from, to);
  const children = blocks.map(b => {
    const length = model.formatDuration((b.end - b.start) / 1000);
    const label = b.kind === 'recorded'
      ? (b.salvaged ? `Salvaged ${time(b.start)} – ${time(b.end)} (${length}): recovered by the cloud` + (b.detail ? ` — ${b.detail}` : '')
        : `Recorded ${time(b.start)} – ${time(b.end)} (${length})`)
      : `Gap ${time(b.start)} – ${time(b.end)} (${length}): ${model.gapLabel(b.reason)}` +
        (b.detail ? ` — ${b.detail}` : '') + (b.recordings ? ` (${b.recordings} recordings)` : '');
    const block = el('button', { type: 'button', className: `block ${b.kind}`, title: label });
    block.setAttribute('aria-label', label);
    block.style.left = `${b.left}%`;
    block.style.width = `${b.width}%`;
    if (b.kind === 'gap') {
      block.dataset.reason = b.reason;
      block.dataset.start = model.iso(b.start);
      block.dataset.end = model.iso(b.end);
      block.classList.add(`reason-${b.reason}`);
      block.addEventListener('click', () => on.gap(label));
    } else {
      if (b.salvaged) {
        block.classList.add('salvaged');
      }
      block.addEventListener('click', event => {
        const rect = block.getBoundingClientRect();
        const share = rect.width > 0 ? Math.min(1, Math.max(0, (event.clientX - rect.left) / rect.width)) : 0;
        on.recorded(b.start + share * (b.end - b.start), label);
      });
    }
    return block;
  });
  const head = el('div', { className: 'playhead', hidden: true });
  head.dataset.from = String(from);
  head.dataset.to = String(to);
  bar.replaceChildren(...children, head);
  return blocks;
}

function renderRecorders(status) {
  const box = $('recorders');
  if (status instanceof Error) {
    box.replaceChildren(el('p', {
      className: 'small muted',
      textContent: status.kind === 'not_found'
        ? 'The recorders\' upload backlog is shown to operators only.'
        : explain(status, 'the recorders\' status'),
    }));
    return;
  }
  const counts = status.counts ?? {};
  const rows = status.recorders.map(r => el('tr', {},
    el('th', { scope: 'row', textContent: r.recorder_id }),
    el('td', { textContent: r.offline ? `offline (silent ${model.formatDuration(r.silent_seconds)})` : 'online' }),
    el('td', { textContent: r.last_heartbeat_at ? time(Date.parse(r.last_heartbeat_at)) : '–' }),
    el('td', { textContent: `${r.backlog_segments} (${model.formatBytes(r.backlog_bytes)})` }),
    el('td', { textContent: r.oldest_backlog_sealed_at ? `since ${time(Date.parse(r.oldest_backlog_sealed_at))}` : '–' })));
  const table = el('table', { className: 'small' },
    el('thead', {}, el('tr', {}, ...['Recorder', 'State', 'Heartbeat', 'Backlog', 'Oldest pending'].map(h => el('th', { scope: 'col', textContent: h })))),
    el('tbody', {}, ...rows));
  const waiting = (counts.announced ?? 0) + (counts.staged ?? 0) + (counts.quarantined ?? 0);
  box.replaceChildren(
    rows.length ? table : el('p', { className: 'small muted', textContent: 'No recorder has reported yet.' }),
    el('p', { className: 'small muted', textContent: `Catalog: ${counts.archived ?? 0} archived, ${waiting} waiting for verification, ${counts.lost ?? 0} lost.` }));
  $('recorders-panel').classList.toggle('alert', status.recorders.some(r => r.offline || r.backlog_segments > 0));
}

// ---- player -------------------------------------------------------------------------------------------------------

function playerMessage(text) {
  $('player-message').textContent = text ?? '';
  $('player-message').hidden = !text;
  $('player-body').hidden = Boolean(text);
}

/** Where a camera is: its recorder, and the recorder's site when it has one (two sites may both have a cam1). */
function whereOf(camera) {
  return camera.site_id ? `site ${camera.site_id} · recorder ${camera.recorder_id}` : `recorder ${camera.recorder_id}`;
}

async function selectCamera(cameraKey, { startWall = null } = {}) {
  const camera = state.cameras.find(c => c.key === cameraKey);
  if (!camera || !state.range) {
    return;
  }
  state.selected = cameraKey;
  for (const item of $('cameras').children) {
    const selected = item.dataset.cameraKey === cameraKey;
    item.classList.toggle('selected', selected);
    item.toggleAttribute('aria-current', selected);
  }
  $('player').hidden = false;
  $('player-title').textContent = `${camera.name || camera.id} (${camera.id}, ${whereOf(camera)})`;
  $('download-status').textContent = '';
  $('export-status').textContent = '';
  clearTimeout(state.playlistTimer);

  const timeline = state.timelines.get(cameraKey);
  if (timeline instanceof Error) {
    state.playback?.destroy();
    playerMessage(explain(timeline, `the timeline of ${camera.id}`));
    return;
  }
  if (!timeline?.entries?.some(e => e.type === 'segment')) {
    state.playback?.destroy();
    showNoFootage(camera, timeline);
    return;
  }
  await loadPlaylist(camera, { startWall });
}

function showNoFootage(camera, timeline) {
  const why = model.explainNoFootage(timeline?.entries);
  playerMessage(`No footage from ${camera.name || camera.id} between ${dateTime(state.range.from)} and ${dateTime(state.range.to)}.` +
    (why ? ` Why: ${why}.` : '') + ' Pick another range or camera.');
}

async function loadPlaylist(camera, { startWall = null, autoplay = true } = {}) {
  const { from, to } = state.range;
  let text;
  try {
    text = await state.api.playlist(camera.key, from, to);
  } catch (e) {
    if (e instanceof ApiError && e.kind === 'not_found') {
      showNoFootage(camera, state.timelines.get(camera.key));
      return;
    }
    fail(e, `loading the playlist of ${camera.id}`);
    return;
  }
  if (state.selected !== camera.key) {
    return; // another camera was picked meanwhile
  }
  if (!playbackEngine($('video'))) {
    playerMessage('This browser can play neither HLS nor MediaSource video: open the page in a current Chrome, Edge, Firefox or Safari.');
    return;
  }
  playerMessage(null);
  state.playback ??= new Playback($('video'), message => showMessage('error', message));
  try {
    await state.playback.load(text, { startWall, autoplay });
  } catch (e) {
    playerMessage(`The playlist could not be played: ${e?.message ?? e}`);
    return;
  }
  renderFootage(camera);
  schedulePlaylistRefresh(camera);
  updateClock();
}

/** Fetches a new playlist (fresh links) before the links of this one expire, keeping the picture where it is. */
function schedulePlaylistRefresh(camera) {
  clearTimeout(state.playlistTimer);
  const validUntil = state.playback.playlist.validUntil;
  const now = Date.now(); // once: the time shown below is the one the timer is set from
  const delay = model.refreshDelayMs(validUntil, now);
  const status = $('refresh-status');
  if (delay === null) {
    status.textContent = '';
    return;
  }
  const at = now + delay;
  status.dataset.validUntil = model.iso(validUntil);
  status.dataset.refreshAt = model.iso(at);
  status.textContent = `Playback links valid until ${dateTime(validUntil)}; new ones are fetched at ${time(at)}.`;
  state.playlistTimer = setTimeout(() => {
    const video = $('video');
    loadPlaylist(camera, { startWall: state.playback?.wallClock() ?? null, autoplay: !video.paused });
  }, delay);
}

function updateClock() {
  const playback = state.playback;
  const clock = $('clock');
  const wall = playback?.wallClock() ?? null;
  if (wall === null) {
    clock.textContent = '--:--:--';
    delete clock.dataset.wall;
  } else {
    clock.textContent = dateTime(wall);
    clock.dataset.wall = model.iso(wall);
  }
  const segment = playback?.currentSegment() ?? null;
  $('segment-info').textContent = segment ? `recording ${segment.id} (${model.formatDuration(segment.duration)})` : '';
  $('download').dataset.recordingId = segment?.id ?? '';
  $('download').disabled = !segment;
  const t = $('video').currentTime;
  $('next-footage').disabled = !playback || !model.nextFootageAfterGap(playback.segments, t);
  $('prev-footage').disabled = !playback || !model.previousFootage(playback.segments, t);
  updatePlayhead(wall);
}

/** Places the playhead of the selected camera's bar and of the footage bar at the wall-clock time on screen. */
function updatePlayhead(wall = state.playback?.wallClock() ?? null) {
  const active = new Set([
    ...$('cameras').querySelectorAll('li.selected .playhead'),
    ...$('footage-timeline').querySelectorAll('.playhead'),
  ]);
  for (const head of document.querySelectorAll('.playhead')) {
    const from = Number(head.dataset.from);
    const to = Number(head.dataset.to);
    const show = active.has(head) && wall !== null && wall >= from && wall <= to;
    head.hidden = !show;
    if (show) {
      head.style.left = `${((wall - from) / (to - from)) * 100}%`;
    }
  }
}

/** The selected camera's footage at a useful scale: from its first to its last segment in the range. */
function renderFootage(camera) {
  const segments = state.playback.segments;
  const first = segments[0].start;
  const last = segments[segments.length - 1].end;
  const pad = Math.max(1000, (last - first) * 0.02);
  const from = first - pad;
  const to = last + pad;
  const detail = $('footage-detail');
  detail.textContent = '';
  renderBar($('footage-timeline'), state.timelines.get(camera.key)?.entries ?? [], from, to, {
    recorded: (wall, label) => {
      detail.textContent = label;
      state.playback.seekWall(wall);
    },
    gap: label => {
      detail.textContent = label;
    },
  });
  $('footage-axis').replaceChildren(el('span', { textContent: time(from) }), el('span', { textContent: time(to) }));
}

function jump(target, what) {
  if (!target) {
    return;
  }
  state.playback.seekMedia(target.mediaStart);
  $('download-status').textContent = `${what}: ${dateTime(target.start)}.`;
  updateClock();
}

// ---- download -----------------------------------------------------------------------------------------------------

async function downloadCurrent() {
  const segment = state.playback?.currentSegment();
  if (!segment) {
    return;
  }
  const status = $('download-status');
  const button = $('download');
  button.disabled = true;
  status.className = 'muted';
  status.textContent = `Downloading recording ${segment.id}…`;
  delete status.dataset.sha256;
  delete status.dataset.recordingId;
  try {
    const [response, item] = await Promise.all([state.api.download(segment.id), state.api.recording(segment.id)]);
    const blob = await response.blob();
    const name = fileNameOf(response.headers.get('Content-Disposition')) ?? `${item.camera_id}_${item.start_time.replace(/[:.]/g, '')}.mp4`;
    let verdict = 'its SHA-256 could not be checked here (the page is not on a secure origin)';
    if (globalThis.crypto?.subtle) {
      const digest = model.hex(await crypto.subtle.digest('SHA-256', await blob.arrayBuffer()));
      status.dataset.sha256 = digest;
      const matches = digest === String(item.sha256).toLowerCase();
      verdict = matches
        ? `its SHA-256 matches the catalog's (${digest.slice(0, 16)}…)`
        : `its SHA-256 ${digest} does NOT match the catalog's ${item.sha256}`;
      status.className = matches ? 'ok' : 'error';
    }
    save(blob, name);
    status.dataset.recordingId = segment.id;
    status.textContent = `Saved ${name} (${model.formatBytes(blob.size)}): ${verdict}.`;
  } catch (e) {
    status.className = 'error';
    if (e instanceof ApiError && e.kind === 'unreachable') {
      // The API answered a moment ago: the storage the download redirects to may refuse this page (CORS). Offer its link.
      try {
        const link = await state.api.url(segment.id);
        status.replaceChildren('The download could not be fetched by the page; ',
          el('a', { href: link.url, target: '_blank', rel: 'noopener noreferrer', textContent: 'open the recording' }),
          ` (link valid ${link.expires_in_minutes} minutes) and save it from there.`);
        return;
      } catch {
        // fall through to the first failure
      }
    }
    if (e instanceof ApiError && ['unauthorized', 'unreachable', 'timeout'].includes(e.kind)) {
      fail(e, `downloading recording ${segment.id}`);
    }
    status.textContent = explain(e, `Downloading recording ${segment.id}`);
  } finally {
    button.disabled = false;
  }
}

function fileNameOf(disposition) {
  const match = /filename="?([^";]+)"?/i.exec(disposition ?? '');
  return match ? match[1] : null;
}

function save(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = el('a', { href: url, download: name, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60 * 1000);
}

// ---- evidence export ---------------------------------------------------------------------------------------------

/** Asks the API for the evidence bundle of the selected camera over the range on screen, and offers its link. */
async function exportEvidence() {
  const cameraKey = state.selected;
  if (!cameraKey || !state.range) {
    return;
  }
  const { from, to } = state.range;
  const status = $('export-status');
  const button = $('export-evidence');
  button.disabled = true;
  status.className = 'muted';
  status.textContent = `Exporting the evidence of ${dateTime(from)} to ${dateTime(to)}…`;
  delete status.dataset.sha256;
  try {
    const bundle = await state.api.exportEvidence(cameraKey, from, to);
    status.dataset.sha256 = bundle.sha256;
    status.className = bundle.problems.length ? 'error' : 'ok';
    const problems = bundle.problems.length ? ` ${bundle.problems.length} segment(s) could not be exported as signed; verify will report them.` : '';
    const held = bundle.legal_hold ? ' It is under a legal hold, like the footage in it.' : '';
    status.replaceChildren(
      el('a', { id: 'export-link', href: bundle.url, rel: 'noopener noreferrer', textContent: 'Download the evidence bundle' }),
      ` (${model.formatBytes(bundle.size)}, ${bundle.segments} segment(s), ${bundle.gaps} gap(s); link valid until ${dateTime(Date.parse(bundle.expires_at))}). ` +
        `SHA-256 ${bundle.sha256}. Check it offline with: verify BUNDLE.zip.${problems}${held}`);
  } catch (e) {
    status.className = 'error';
    if (e instanceof ApiError && ['unauthorized', 'unreachable', 'timeout'].includes(e.kind)) {
      fail(e, 'exporting evidence');
    }
    status.textContent = explain(e, 'Exporting evidence');
  } finally {
    button.disabled = false;
  }
}

// ---- wiring -------------------------------------------------------------------------------------------------------

function wire() {
  $('signin').addEventListener('submit', event => {
    event.preventDefault();
    const token = $('token').value.trim();
    if (token) {
      signIn(token);
    }
  });
  $('signout').addEventListener('click', () => signOut());
  $('range').addEventListener('change', () => {
    const custom = $('range').value === 'custom';
    $('custom-range').hidden = !custom;
    if (custom && state.range) {
      $('from').value = toLocalInput(state.range.from);
      $('to').value = toLocalInput(state.range.to);
    }
    loadRange();
  });
  $('from').addEventListener('change', () => loadRange());
  $('to').addEventListener('change', () => loadRange());
  $('refresh').addEventListener('click', () => loadRange());
  $('next-footage').addEventListener('click', () =>
    jump(model.nextFootageAfterGap(state.playback.segments, $('video').currentTime), 'Jumped across the gap to the next footage'));
  $('prev-footage').addEventListener('click', () =>
    jump(model.previousFootage(state.playback.segments, $('video').currentTime), 'Back to footage from'));
  $('download').addEventListener('click', downloadCurrent);
  $('export-evidence').addEventListener('click', exportEvidence);
  $('video').addEventListener('timeupdate', updateClock);
  $('video').addEventListener('seeked', updateClock);
  window.addEventListener('unhandledrejection', event => showMessage('error', `Something went wrong: ${event.reason?.message ?? event.reason}`));
}

wire();
const saved = sessionStorage.getItem(TOKEN_KEY);
if (saved) {
  signIn(saved);
} else {
  showSignIn();
}
