// The player page's pure functions (functions/Player/web/model.js), run by node's test runner from PlayerScriptTests.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  chainBreakLines, clockNote, explainNoFootage, formatDuration, gapLabel, mediaTimeAt, nextFootageAfterGap, parsePlaylist, presetRange, previousFootage,
  refreshDelayMs, segmentIndexAt, timelineBlocks, wallClockAt,
} from '../../../functions/Player/web/model.js';

// What functions/Api/HlsPlaylist.cs writes: three segments, a gap of 14 s (camera offline), two more.
const playlist = `#EXTM3U
#EXT-X-VERSION:3
#EXT-X-PLAYLIST-TYPE:VOD
#EXT-X-INDEPENDENT-SEGMENTS
#EXT-X-TARGETDURATION:2
#EXT-X-MEDIA-SEQUENCE:0
# camera cam1, 2026-01-15T03:00:00.000Z to 2026-01-15T04:00:00.000Z; segment links valid until 2026-01-15T06:00:00.000Z
#EXT-X-PROGRAM-DATE-TIME:2026-01-15T03:10:00.000Z
#EXTINF:2.000,
/playback/a.mp4?exp=1768456800&sig=x
#EXT-X-PROGRAM-DATE-TIME:2026-01-15T03:10:02.000Z
#EXTINF:2.000,
/playback/b.mp4?exp=1768456800&sig=x
#EXT-X-PROGRAM-DATE-TIME:2026-01-15T03:10:04.000Z
#EXTINF:1.500,
/playback/c.mp4?exp=1768456700&sig=x
# gap 2026-01-15T03:10:05.500Z to 2026-01-15T03:10:19.500Z: camera_offline (camera stream lost)
#EXT-X-DISCONTINUITY
#EXT-X-PROGRAM-DATE-TIME:2026-01-15T03:10:19.500Z
#EXTINF:2.000,
/playback/d.mp4?exp=1768456800&sig=x
#EXT-X-PROGRAM-DATE-TIME:2026-01-15T03:10:21.500Z
#EXTINF:2.000,
/playback/e.mp4?exp=1768456800&sig=x
#EXT-X-ENDLIST
`;
const t = iso => Date.parse(iso);

test('parsePlaylist reads each segment with its clock time, media position, recording ID and the gap before it', () => {
  const p = parsePlaylist(playlist, 'http://127.0.0.1:8080/player/');
  assert.deepEqual(p.segments.map(s => s.id), ['a', 'b', 'c', 'd', 'e']);
  assert.deepEqual(p.segments.map(s => s.mediaStart), [0, 2, 4, 5.5, 7.5]);
  assert.deepEqual(p.segments.map(s => s.afterGap), [false, false, false, true, false]);
  assert.equal(p.segments[3].start, t('2026-01-15T03:10:19.500Z'));
  assert.equal(p.segments[2].end, t('2026-01-15T03:10:05.500Z'));
  assert.equal(p.mediaDuration, 9.5);
});

test('parsePlaylist makes every link absolute, so the playlist can be played from a blob: URL', () => {
  const p = parsePlaylist(playlist, 'http://127.0.0.1:8080/player/');
  assert.equal(p.segments[0].url, 'http://127.0.0.1:8080/playback/a.mp4?exp=1768456800&sig=x');
  assert.ok(!/^\/playback/m.test(p.text));
  assert.ok(p.text.includes('#EXT-X-DISCONTINUITY'));
  assert.equal(p.text.split('\n').filter(l => l.startsWith('http://127.0.0.1:8080/playback/')).length, 5);
});

test('parsePlaylist takes the earliest expiry of its links as the playlist\'s', () => {
  assert.equal(parsePlaylist(playlist, 'http://h/').validUntil, 1768456700 * 1000);
});

test('parsePlaylist refuses what is not a playlist (an HTML error page, say)', () => {
  assert.throws(() => parsePlaylist('<html>', 'http://h/'), /not an HLS playlist/);
});

test('the clock follows the media time, across the gap', () => {
  const { segments } = parsePlaylist(playlist, 'http://h/');
  assert.equal(wallClockAt(segments, 0), t('2026-01-15T03:10:00.000Z'));
  assert.equal(wallClockAt(segments, 3), t('2026-01-15T03:10:03.000Z'));
  assert.equal(wallClockAt(segments, 6), t('2026-01-15T03:10:20.000Z'));
  assert.equal(segmentIndexAt(segments, 5.5), 3);
  assert.equal(segmentIndexAt(segments, -1), -1);
});

test('seeking by clock lands inside footage, or at the next footage when the time falls in a gap', () => {
  const { segments } = parsePlaylist(playlist, 'http://h/');
  assert.equal(mediaTimeAt(segments, t('2026-01-15T03:10:03.000Z')), 3);
  assert.equal(mediaTimeAt(segments, t('2026-01-15T03:10:10.000Z')), 5.5);
  assert.equal(mediaTimeAt(segments, t('2026-01-15T03:09:00.000Z')), 0);
  assert.equal(mediaTimeAt(segments, t('2026-01-15T03:11:00.000Z')), null);
});

test('next footage jumps to the first segment after the next gap, and nowhere after the last one', () => {
  const { segments } = parsePlaylist(playlist, 'http://h/');
  assert.equal(nextFootageAfterGap(segments, 0.5).id, 'd');
  assert.equal(nextFootageAfterGap(segments, 4.2).id, 'd');
  assert.equal(nextFootageAfterGap(segments, 6), null);
});

test('previous footage goes back to the start of this footage, then across the gap before it', () => {
  const { segments } = parsePlaylist(playlist, 'http://h/');
  assert.equal(previousFootage(segments, 9).id, 'd');
  assert.equal(previousFootage(segments, 6).id, 'a');
  assert.equal(previousFootage(segments, 1), null);
});

test('a new playlist is fetched 5 minutes before its links expire, or at half their life when they live 10 minutes or less', () => {
  const now = 1_000_000;
  assert.equal(refreshDelayMs(now + 120 * 60_000, now), 115 * 60_000);
  assert.equal(refreshDelayMs(now + 8 * 60_000, now), 4 * 60_000);
  assert.equal(refreshDelayMs(now + 2000, now), 5000);
  assert.equal(refreshDelayMs(null, now), null);
});

test('timeline blocks merge consecutive segments into one recorded range and keep each gap with its reason', () => {
  const from = t('2026-01-15T03:00:00Z');
  const to = t('2026-01-15T03:01:40Z'); // 100 s: one second is one percent
  const entries = [
    { type: 'gap', start_time: '2026-01-15T02:59:00Z', end_time: '2026-01-15T03:00:10Z', reason: 'no_recording', detail: 'nothing' },
    { type: 'segment', start_time: '2026-01-15T03:00:10Z', end_time: '2026-01-15T03:00:12Z', id: 'a' },
    { type: 'segment', start_time: '2026-01-15T03:00:12Z', end_time: '2026-01-15T03:00:14Z', id: 'b' },
    { type: 'gap', start_time: '2026-01-15T03:00:14Z', end_time: '2026-01-15T03:00:30Z', reason: 'camera_offline', detail: 'camera stream lost' },
    { type: 'segment', start_time: '2026-01-15T03:00:30Z', end_time: '2026-01-15T03:00:32Z', id: 'c' },
  ];
  const blocks = timelineBlocks(entries, from, to);
  const round = x => Math.round(x * 1000) / 1000;
  assert.deepEqual(blocks.map(b => [b.kind, round(b.left), round(b.width), b.reason ?? null]), [
    ['gap', 0, 10, 'no_recording'],
    ['recorded', 10, 4, null],
    ['gap', 14, 16, 'camera_offline'],
    ['recorded', 30, 2, null],
  ]);
  assert.equal(blocks[1].segments, 2);
  assert.equal(blocks[2].detail, 'camera stream lost');
});

test('a salvaged segment is a block of its own, and the recorder offline gap after it reads as such', () => {
  const from = Date.parse('2026-01-15T03:00:00Z');
  const to = Date.parse('2026-01-15T03:00:20Z');
  const entries = [
    { type: 'segment', start_time: '2026-01-15T03:00:00Z', end_time: '2026-01-15T03:00:04Z', id: 'a' },
    { type: 'segment', start_time: '2026-01-15T03:00:04Z', end_time: '2026-01-15T03:00:10Z', id: 'b', state: 'salvaged',
      detail: 'recorder offline since 2026-01-15T03:00:12Z; finished by the sweep at the 1,234 bytes the store held' },
    { type: 'gap', start_time: '2026-01-15T03:00:10Z', end_time: '2026-01-15T03:00:20Z', reason: 'recorder_offline',
      detail: 'recorder offline since 03:00:12 UTC, footage up to 03:00:10 UTC recovered' },
  ];
  const blocks = timelineBlocks(entries, from, to);
  assert.deepEqual(blocks.map(b => [b.kind, b.left, b.width, b.salvaged ?? false, b.reason ?? null]), [
    ['recorded', 0, 20, false, null],
    ['recorded', 20, 30, true, null],
    ['gap', 50, 50, false, 'recorder_offline'],
  ]);
  assert.match(blocks[1].detail, /^recorder offline since/);
  assert.equal(gapLabel('recorder_offline'), 'recorder offline');
  assert.equal(explainNoFootage([entries[2]]), 'recorder offline (recorder offline since 03:00:12 UTC, footage up to 03:00:10 UTC recovered): 10 s');
});

test('an empty range is explained by its gaps, longest first', () => {
  const text = explainNoFootage([
    { type: 'gap', start_time: '2026-01-15T03:00:00Z', end_time: '2026-01-15T03:50:00Z', reason: 'camera_offline', detail: 'camera stream lost' },
    { type: 'gap', start_time: '2026-01-15T03:50:00Z', end_time: '2026-01-15T04:00:00Z', reason: 'no_recording', detail: 'the catalog holds nothing' },
  ]);
  assert.equal(text, 'camera offline (camera stream lost): 50 min; no recording: 10 min');
});

test('durations and presets read as a person would say them', () => {
  assert.equal(formatDuration(14), '14 s');
  assert.equal(formatDuration(75), '1 min 15 s');
  assert.equal(formatDuration(3720), '1 h 2 min');
  assert.deepEqual(presetRange('15m', 1_000_000_000), { from: 1_000_000_000 - 900_000, to: 1_000_000_000 });
  assert.equal(presetRange('week', 0), null);
});

test('clockNote names the runs whose recorder clock was not synchronised, else the largest maximum error', () => {
  const synced = (run, max) => ({ run, synchronised: true, offset_seconds: 0.0002, max_error_seconds: max, estimated_error_seconds: 0.0003, source: 'adjtimex', read_at: '2026-01-15T03:00:00.000Z' });
  assert.equal(clockNote([synced(1, 0.0125), synced(2, 0.004)]), 'clock synchronised, within 13 ms');
  assert.equal(clockNote([synced(1, 2.4)]), 'clock synchronised, within 2 s');
  assert.equal(clockNote([synced(3, 0.01), { ...synced(4, 16), synchronised: false }, { ...synced(5, null), synchronised: false, source: 'unknown: not Linux' }]),
    'clock not synchronised (runs 4, 5)');
  assert.equal(clockNote([{ ...synced(7, null) }]), 'clock synchronised');
  assert.equal(clockNote([]), null);
  assert.equal(clockNote(undefined), null);
  assert.equal(gapLabel('clock_step'), 'recorder clock stepped');
});

test('chainBreakLines says each break of the evidence chain, with its kind, place and reason; nothing when intact', () => {
  const unknownKey = { kind: 'unknown_key', where: 'manifest 1 (entries 3-3)', detail: 'signed with key 9f…, which is not a registered key of recorder rec-a',
    start_time: '2026-01-15T03:10:00.000Z', end_time: '2026-01-15T03:10:04.000Z', manifest: 'manifests/rec-a~cam1/0000000001.manifest', detected_at: '2026-01-15T03:11:00.000Z' };
  assert.deepEqual(chainBreakLines([unknownKey, { ...unknownKey, kind: 'altered', where: 'entry 4', detail: '<b>x</b>' }]), [
    'Evidence chain broken (unknown key) at manifest 1 (entries 3-3): signed with key 9f…, which is not a registered key of recorder rec-a',
    'Evidence chain broken (altered) at entry 4: <b>x</b>',
  ]);
  assert.deepEqual(chainBreakLines([]), []);
  assert.deepEqual(chainBreakLines(undefined), []);
});
