// Plays a camera's HLS playlist in a <video>: through hls.js where MediaSource exists, natively where the browser
// plays HLS itself (Safari on iOS), and maps the media timeline to wall-clock time with the playlist's
// EXT-X-PROGRAM-DATE-TIME, so the page can show the time on screen, seek by clock and jump across gaps.
// The playlist is fetched by the page (with the bearer token) and handed over as a blob: URL whose links are
// absolute, so neither player ever sees the token; its links are capabilities that expire, and the page fetches a
// new playlist before they do.

import Hls from './hls.min.mjs';
import { mediaTimeAt, parsePlaylist, segmentIndexAt, wallClockAt } from './model.js';

/** Which engine can play HLS here: 'hls.js', 'native' or null. */
export function playbackEngine(video) {
  if (Hls.isSupported()) {
    return 'hls.js';
  }
  if (video.canPlayType('application/vnd.apple.mpegurl')) {
    return 'native';
  }
  return null;
}

export class Playback {
  /** @param {HTMLVideoElement} video @param {(message: string) => void} onError */
  constructor(video, onError) {
    this.video = video;
    this.onError = onError;
    this.hls = null;
    this.blobUrl = null;
    this.playlist = { segments: [], validUntil: null, mediaDuration: 0 };
  }

  get segments() {
    return this.playlist.segments;
  }

  /**
   * Loads a playlist's text and starts at `startAt` seconds of media time (or the wall-clock time `startWall`);
   * plays at once when `autoplay`. Resolves once the video can play there.
   */
  async load(text, { startAt = 0, startWall = null, autoplay = true } = {}) {
    const playlist = parsePlaylist(text, window.location.href);
    if (playlist.segments.length === 0) {
      throw new Error('the playlist holds no segment');
    }
    this.destroy();
    this.playlist = playlist;
    this.blobUrl = URL.createObjectURL(new Blob([playlist.text], { type: 'application/vnd.apple.mpegurl' }));
    const start = startWall !== null ? (mediaTimeAt(playlist.segments, startWall) ?? 0) : startAt;
    const video = this.video;
    const engine = playbackEngine(video);
    if (engine === 'hls.js') {
      const hls = new Hls({
        enableWorker: false, // the segments are fMP4: nothing to transmux, and no blob: worker to allow
        startPosition: start,
        maxBufferLength: 30,
        backBufferLength: 60,
        fragLoadPolicy: { default: { maxTimeToFirstByteMs: 10000, maxLoadTimeMs: 120000, timeoutRetry: { maxNumRetry: 4, retryDelayMs: 500, maxRetryDelayMs: 4000 }, errorRetry: { maxNumRetry: 6, retryDelayMs: 1000, maxRetryDelayMs: 8000 } } },
      });
      this.hls = hls;
      hls.on(Hls.Events.LEVEL_LOADED, (_, data) => this.#alignWith(data.details.fragments));
      hls.on(Hls.Events.ERROR, (_, data) => {
        if (!data.fatal) {
          return;
        }
        if (data.type === Hls.ErrorTypes.MEDIA_ERROR) {
          hls.recoverMediaError();
          return;
        }
        const status = data.response?.code;
        this.onError(status === 403
          ? 'The playback links have expired or were refused; press Refresh to fetch new ones.'
          : `Playback stopped: ${data.details}${status ? ` (HTTP ${status})` : ''}. Is the backend still reachable?`);
      });
      const ready = new Promise(resolve => hls.once(Hls.Events.MANIFEST_PARSED, resolve));
      hls.loadSource(this.blobUrl);
      hls.attachMedia(video);
      await ready;
    } else if (engine === 'native') {
      video.src = this.blobUrl;
      await new Promise((resolve, reject) => {
        video.addEventListener('loadedmetadata', resolve, { once: true });
        video.addEventListener('error', () => reject(new Error('this browser could not open the playlist')), { once: true });
      });
      video.currentTime = start;
    } else {
      throw new Error('this browser plays neither HLS nor MediaSource video');
    }
    if (autoplay) {
      await this.play();
    }
  }

  async play() {
    try {
      await this.video.play();
    } catch (e) {
      if (e?.name !== 'AbortError') {
        this.onError(`The browser would not start playback (${e?.message ?? e}); press play.`);
      }
    }
  }

  /** The wall-clock time on screen, or null. */
  wallClock() {
    return wallClockAt(this.segments, this.video.currentTime);
  }

  /** The recording on screen, or null. */
  currentSegment() {
    const i = segmentIndexAt(this.segments, this.video.currentTime);
    return i < 0 ? null : this.segments[i];
  }

  seekMedia(t) {
    this.video.currentTime = Math.max(0, t + 0.01);
  }

  /** Seeks to the wall-clock time, or to the next footage when it falls in a gap; false when no footage follows it. */
  seekWall(wall) {
    const t = mediaTimeAt(this.segments, wall);
    if (t === null) {
      return false;
    }
    this.seekMedia(t);
    return true;
  }

  destroy() {
    this.hls?.destroy();
    this.hls = null;
    if (this.blobUrl) {
      URL.revokeObjectURL(this.blobUrl);
      this.blobUrl = null;
    }
    this.video.removeAttribute('src');
    this.video.load();
  }

  /** hls.js places each fragment on the media timeline itself; follow it, so clock and seeks agree with the picture. */
  #alignWith(fragments) {
    if (fragments.length !== this.segments.length) {
      return;
    }
    fragments.forEach((f, i) => {
      this.segments[i].mediaStart = f.start;
    });
  }
}
