// The player API as the page uses it: every call carries the bearer token, and every failure becomes an ApiError
// whose kind says what the page should tell its user (a refused token, an unreachable backend, an empty range...).

import { iso } from './model.js';

/** Why a call failed: unauthorized (401), not_found (404), bad_request (400), conflict (409), unavailable (503),
 *  server (another 5xx), unreachable (no answer: network down, host stopped), timeout, http (anything else). */
export class ApiError extends Error {
  constructor(kind, status, message, detail = null) {
    super(message);
    this.name = 'ApiError';
    this.kind = kind;
    this.status = status;
    this.detail = detail;
  }
}

const KINDS = { 400: 'bad_request', 401: 'unauthorized', 403: 'forbidden', 404: 'not_found', 409: 'conflict', 503: 'unavailable' };

/**
 * A client of the player API at `base` (the page's own origin in production). `fetchImpl` and `timeoutMs` are
 * there for tests.
 */
export function createApi({ token, base = '', fetchImpl = (...args) => fetch(...args), timeoutMs = 20000 }) {
  async function call(path, { accept = 'application/json', timeout = timeoutMs, method = 'GET' } = {}) {
    let response;
    try {
      response = await fetchImpl(base + path, {
        method,
        headers: { Authorization: `Bearer ${token}`, Accept: accept },
        cache: 'no-store',
        credentials: 'omit',
        signal: AbortSignal.timeout(timeout),
      });
    } catch (e) {
      if (e?.name === 'TimeoutError') {
        throw new ApiError('timeout', 0, `the backend did not answer within ${Math.round(timeout / 1000)} s`);
      }
      throw new ApiError('unreachable', 0, `the backend cannot be reached (${e?.message ?? e})`);
    }
    if (response.ok) {
      return response;
    }
    let detail = null;
    try {
      const body = await response.json();
      detail = typeof body?.detail === 'string' ? body.detail : null;
    } catch {
      // not JSON: a proxy's page, say
    }
    const kind = KINDS[response.status] ?? (response.status >= 500 ? 'server' : 'http');
    throw new ApiError(kind, response.status, `HTTP ${response.status}${detail ? `: ${detail}` : ''}`, detail);
  }

  const json = async (path, options) => (await call(path, options)).json();
  const range = (from, to) => `from=${encodeURIComponent(iso(from))}&to=${encodeURIComponent(iso(to))}`;
  const cam = key => encodeURIComponent(key);

  return {
    /** The cameras this token may see: [{key, id, name, recorder_id, site_id}]; key (recorder~camera) names a camera in the routes. */
    cameras: async () => (await json('/api/cameras/')).results,
    /** A camera's timeline over [from, to): {entries: [{type: segment|gap, start_time, end_time, id, reason, detail}], ...}. */
    timeline: (cameraKey, from, to) => json(`/api/cameras/${cam(cameraKey)}/timeline/?${range(from, to)}`),
    /** The HLS playlist of a camera over [from, to), as text. */
    playlist: async (cameraKey, from, to) =>
      (await call(`/api/cameras/${cam(cameraKey)}/playlist.m3u8?${range(from, to)}`, { accept: 'application/vnd.apple.mpegurl' })).text(),
    /** One recording as the catalog lists it (with its sha256). */
    recording: id => json(`/api/recordings/${encodeURIComponent(id)}/`),
    /** A signed URL of one recording, with its expires_in_minutes (the seed's get_url). */
    url: id => json(`/api/recordings/${encodeURIComponent(id)}/get_url/`),
    /** The recording's bytes through /download/ (its redirect to a signed URL is followed). */
    download: id => call(`/api/recordings/${encodeURIComponent(id)}/download/`, { accept: '*/*', timeout: 10 * 60 * 1000 }),
    /** An evidence bundle of a camera over [from, to), written to the archive: {url, expires_at, sha256, size, segments, gaps, problems, legal_hold, ...}. */
    exportEvidence: (cameraKey, from, to) =>
      json(`/api/cameras/${cam(cameraKey)}/export?${range(from, to)}`, { method: 'POST', timeout: 10 * 60 * 1000 }),
    /** Counts, recorders and their upload backlog; operators only (404 for anyone else). */
    status: () => json('/api/status'),
  };
}
