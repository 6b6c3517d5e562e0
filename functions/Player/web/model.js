// Pure functions of the player page: no DOM, no network, no clock of their own (tests/Cctv.Player.Tests runs them
// under node --test). Times are milliseconds since the epoch unless a name says seconds.

/** How long before the playlist's links expire the page fetches a new one (the seed's `expires_in_minutes - 5`). */
export const REFRESH_MARGIN_MS = 5 * 60 * 1000;

/** A hole this short between two segments is a cut between files, not a gap (the API's gap tolerance). */
export const GAP_TOLERANCE_MS = 1000;

const GAP_LABELS = {
  camera_offline: 'camera offline',
  not_yet_uploaded: 'not uploaded yet',
  lost: 'lost before upload',
  expired: 'deleted by retention',
  no_recording: 'no recording',
  clock_step: 'recorder clock stepped',
  recorder_offline: 'recorder offline',
};

/** A reason from the timeline API as words; an unknown one as itself. */
export function gapLabel(reason) {
  return GAP_LABELS[reason] ?? String(reason ?? 'unknown');
}

/**
 * Reads an HLS media playlist from the API: its segments in order, each with its wall-clock start (from
 * EXT-X-PROGRAM-DATE-TIME), its length, its position on the media timeline (the sum of the lengths before it, as a
 * player lays out a VOD playlist), whether a gap comes before it, and the recording ID its link names; when its links
 * expire (the earliest `exp` of a link); and the playlist's text with every link made absolute against `base`, so it
 * can be handed to a player as a blob: URL.
 */
export function parsePlaylist(text, base) {
  const lines = String(text).split(/\r?\n/);
  if (lines[0]?.trim() !== '#EXTM3U') {
    throw new Error('the answer is not an HLS playlist');
  }
  const segments = [];
  const out = [];
  let pdt = null;
  let duration = null;
  let discontinuity = false;
  let gapComment = false;
  let mediaStart = 0;
  let validUntil = null;
  for (const raw of lines) {
    const line = raw.trim();
    if (line.startsWith('#EXT-X-PROGRAM-DATE-TIME:')) {
      pdt = Date.parse(line.slice('#EXT-X-PROGRAM-DATE-TIME:'.length));
    } else if (line.startsWith('#EXTINF:')) {
      duration = parseFloat(line.slice('#EXTINF:'.length));
    } else if (line === '#EXT-X-DISCONTINUITY') {
      discontinuity = true;
    } else if (line.startsWith('# gap ')) {
      gapComment = true;
    } else if (line.length > 0 && !line.startsWith('#')) {
      const url = new URL(line, base);
      const exp = Number(url.searchParams.get('exp'));
      if (Number.isFinite(exp) && exp > 0) {
        validUntil = validUntil === null ? exp * 1000 : Math.min(validUntil, exp * 1000);
      }
      const id = decodeURIComponent(url.pathname.split('/').pop() ?? '').replace(/\.mp4$/, '');
      const previous = segments[segments.length - 1];
      const start = Number.isFinite(pdt) ? pdt : previous ? previous.end : 0;
      const length = Number.isFinite(duration) ? duration : 0;
      const afterGap = previous !== undefined
        && (gapComment || start - previous.end > GAP_TOLERANCE_MS);
      segments.push({ id, url: url.href, start, end: start + length * 1000, duration: length, mediaStart, discontinuity, afterGap });
      mediaStart += length;
      pdt = null;
      duration = null;
      discontinuity = false;
      gapComment = false;
      out.push(url.href);
      continue;
    }
    out.push(raw);
  }
  return { segments, validUntil, text: out.join('\n'), mediaDuration: mediaStart };
}

/** The index of the segment that plays at media time `t` (seconds): the last one starting at or before it; -1 for none. */
export function segmentIndexAt(segments, t) {
  let lo = 0;
  let hi = segments.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (segments[mid].mediaStart <= t + 1e-6) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}

/** The wall-clock time shown at media time `t`, or null before the first segment. */
export function wallClockAt(segments, t) {
  const i = segmentIndexAt(segments, t);
  if (i < 0) {
    return null;
  }
  const s = segments[i];
  return s.start + Math.min(Math.max(0, t - s.mediaStart), s.duration) * 1000;
}

/**
 * Where to seek to show wall-clock time `wall`: inside a segment, that moment; in a gap or before the first
 * segment, the start of the next footage; after the last segment, null.
 */
export function mediaTimeAt(segments, wall) {
  for (const s of segments) {
    if (wall < s.start) {
      return s.mediaStart;
    }
    if (wall < s.end) {
      return s.mediaStart + (wall - s.start) / 1000;
    }
  }
  return null;
}

/** The first segment after the next gap following media time `t`: where "next footage" jumps; null when none is left. */
export function nextFootageAfterGap(segments, t) {
  const from = Math.max(0, segmentIndexAt(segments, t));
  for (let i = from + 1; i < segments.length; i++) {
    if (segments[i].afterGap) {
      return segments[i];
    }
  }
  return null;
}

/**
 * Where "previous footage" jumps: the start of the footage before the last gap behind media time `t`, or the start of
 * the current footage when more than 3 seconds of it have played (as a player's "previous track" does); null when
 * there is nothing before.
 */
export function previousFootage(segments, t) {
  const here = segmentIndexAt(segments, t);
  if (here < 0) {
    return null;
  }
  let runStart = here;
  while (runStart > 0 && !segments[runStart].afterGap) {
    runStart--;
  }
  if (t - segments[runStart].mediaStart > 3) {
    return segments[runStart];
  }
  if (runStart === 0) {
    return null;
  }
  let previous = runStart - 1;
  while (previous > 0 && !segments[previous].afterGap) {
    previous--;
  }
  return segments[previous];
}

/**
 * How long to wait before fetching a new playlist: until 5 minutes before its links expire, as the seed's examples
 * refresh a signed URL; for links that live 10 minutes or less, half their remaining life; never less than 5 seconds.
 */
export function refreshDelayMs(validUntil, now) {
  if (validUntil === null || validUntil === undefined) {
    return null;
  }
  const remaining = validUntil - now;
  const delay = remaining > 2 * REFRESH_MARGIN_MS ? remaining - REFRESH_MARGIN_MS : remaining / 2;
  return Math.max(5000, Math.floor(delay));
}

/**
 * The timeline API's entries as blocks of a bar over [from, to): runs of consecutive segments merged into one
 * recorded block (a day of 4-second segments is thousands of entries, a handful of blocks), each gap its own
 * block with its reason and detail; each with its offset and width in percent of the bar. A salvaged segment (the cloud
 * finished the upload of a recorder that went silent: `state: 'salvaged'`) is a recorded block of its own, marked
 * `salvaged` with the API's detail, never merged with the recorder's own footage.
 */
export function timelineBlocks(entries, from, to) {
  const span = Math.max(1, to - from);
  const blocks = [];
  for (const e of entries ?? []) {
    const start = Math.max(from, Date.parse(e.start_time));
    const end = Math.min(to, Date.parse(e.end_time));
    if (!(end > start)) {
      continue;
    }
    const last = blocks[blocks.length - 1];
    if (e.type === 'segment') {
      if (e.state === 'salvaged') {
        blocks.push({ kind: 'recorded', start, end, segments: 1, salvaged: true, detail: e.detail ?? null });
        continue;
      }
      if (last?.kind === 'recorded' && !last.salvaged && start - last.end <= GAP_TOLERANCE_MS) {
        last.end = Math.max(last.end, end);
        last.segments++;
        continue;
      }
      blocks.push({ kind: 'recorded', start, end, segments: 1 });
    } else {
      blocks.push({ kind: 'gap', start, end, reason: e.reason, detail: e.detail ?? null, recordings: e.recordings ?? 0 });
    }
  }
  for (const b of blocks) {
    b.left = ((b.start - from) / span) * 100;
    b.width = ((b.end - b.start) / span) * 100;
  }
  return blocks;
}

/** Why a camera has no footage in a range, from its timeline's gaps: the longest reasons first, as one sentence. */
export function explainNoFootage(entries) {
  const byReason = new Map();
  for (const e of entries ?? []) {
    if (e.type !== 'gap') {
      continue;
    }
    const key = gapLabel(e.reason) + (e.detail && e.reason !== 'no_recording' ? ` (${e.detail})` : '');
    byReason.set(key, (byReason.get(key) ?? 0) + (Date.parse(e.end_time) - Date.parse(e.start_time)));
  }
  return [...byReason.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([label, ms]) => `${label}: ${formatDuration(ms / 1000)}`)
    .join('; ');
}

/**
 * What the timeline's `clocks` (the recorder's clock state per run) say about the times on screen, in a few words:
 * "clock not synchronised (runs 3, 4)" when any run's clock was not, else "clock synchronised, within 12 ms" (the
 * largest maximum error); null when the timeline has none (footage from a recorder that did not send it).
 */
export function clockNote(clocks) {
  if (!Array.isArray(clocks) || clocks.length === 0) {
    return null;
  }
  const unsynced = clocks.filter(c => !c.synchronised).map(c => c.run);
  if (unsynced.length > 0) {
    return `clock not synchronised (${unsynced.length === 1 ? 'run' : 'runs'} ${unsynced.join(', ')})`;
  }
  const errors = clocks.map(c => c.max_error_seconds).filter(e => typeof e === 'number');
  if (errors.length < clocks.length) {
    return 'clock synchronised';
  }
  const worst = Math.max(...errors);
  return `clock synchronised, within ${worst < 1 ? `${Math.max(1, Math.round(worst * 1000))} ms` : formatDuration(worst)}`;
}

/**
 * What the timeline's `chain_breaks` (breaks the cloud found in the camera's evidence chain over the range) say, one
 * line per break: "Evidence chain broken (unknown key) at manifest 1 (entries 3-3): signed with key …". Empty when
 * the chain is intact. Shown, never folded away: footage over a broken stretch cannot be proven.
 */
export function chainBreakLines(breaks) {
  if (!Array.isArray(breaks)) {
    return [];
  }
  return breaks.map(b => `Evidence chain broken (${String(b.kind ?? 'unknown').replaceAll('_', ' ')}) at ${b.where ?? '?'}: ${b.detail ?? ''}`.trim());
}

/** 75 -> "1 min 15 s"; 3720 -> "1 h 2 min". */
export function formatDuration(seconds) {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) {
    return `${s} s`;
  }
  if (s < 3600) {
    const m = Math.floor(s / 60);
    return s % 60 ? `${m} min ${s % 60} s` : `${m} min`;
  }
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return m ? `${h} h ${m} min` : `${h} h`;
}

/** 1536 -> "1.5 KB". */
export function formatBytes(bytes) {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = Math.max(0, Number(bytes) || 0);
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** The range a preset names ("15m", "1h", "6h", "24h"), ending now; null for an unknown preset. */
export function presetRange(preset, now) {
  const minutes = { '15m': 15, '1h': 60, '6h': 360, '24h': 1440 }[preset];
  return minutes === undefined ? null : { from: now - minutes * 60 * 1000, to: now };
}

/** The API's time format: ISO 8601 in UTC. */
export function iso(ms) {
  return new Date(ms).toISOString();
}

/** Lowercase hex of a digest. */
export function hex(buffer) {
  return [...new Uint8Array(buffer)].map(b => b.toString(16).padStart(2, '0')).join('');
}
