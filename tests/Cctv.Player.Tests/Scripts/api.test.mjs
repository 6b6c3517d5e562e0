// The page's API client (functions/Player/web/api.js) against a fake fetch: what each failure is called.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApiError, createApi } from '../../../functions/Player/web/api.js';

const answer = (status, body) => async () => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

test('every call carries the bearer token and asks for a range in UTC', async () => {
  const seen = [];
  const api = createApi({
    token: 't0k',
    base: 'http://h',
    fetchImpl: async (url, init) => {
      seen.push({ url, auth: init.headers.Authorization });
      return new Response('{"entries":[]}', { status: 200 });
    },
  });
  await api.timeline('cam 1', Date.UTC(2026, 0, 15, 3), Date.UTC(2026, 0, 15, 4));
  assert.deepEqual(seen, [{
    url: 'http://h/api/cameras/cam%201/timeline/?from=2026-01-15T03%3A00%3A00.000Z&to=2026-01-15T04%3A00%3A00.000Z',
    auth: 'Bearer t0k',
  }]);
});

test('a refused token is "unauthorized", with the API\'s reason', async () => {
  const api = createApi({ token: 'bad', fetchImpl: answer(401, { detail: 'the bearer token is not valid here' }) });
  await assert.rejects(api.cameras(), e => e instanceof ApiError && e.kind === 'unauthorized' && e.detail === 'the bearer token is not valid here');
});

test('no answer at all is "unreachable", not an empty list', async () => {
  const api = createApi({ token: 't', fetchImpl: async () => { throw new TypeError('Failed to fetch'); } });
  await assert.rejects(api.cameras(), e => e.kind === 'unreachable' && e.status === 0);
});

test('a backend that cannot read its catalog is "unavailable"; a missing playlist is "not_found"', async () => {
  await assert.rejects(createApi({ token: 't', fetchImpl: answer(503, { detail: 'the catalog could not be read' }) }).status(),
    e => e.kind === 'unavailable');
  await assert.rejects(createApi({ token: 't', fetchImpl: answer(404, { detail: 'no archived footage' }) }).playlist('cam1', 0, 1000),
    e => e.kind === 'not_found' && e.detail === 'no archived footage');
});

test('a call that outlives its timeout is "timeout"', async () => {
  const api = createApi({
    token: 't',
    timeoutMs: 50,
    fetchImpl: (_, init) => new Promise((_, reject) => init.signal.addEventListener('abort', () => reject(init.signal.reason))),
  });
  const keepAlive = setTimeout(() => {}, 5000); // AbortSignal.timeout's timer alone does not keep node running
  try {
    await assert.rejects(api.cameras(), e => e.kind === 'timeout');
  } finally {
    clearTimeout(keepAlive);
  }
});

test('an evidence export is a POST of the camera and the range on screen, and its refusal keeps the API\'s reason', async () => {
  const seen = [];
  const api = createApi({
    token: 't0k',
    base: 'http://h',
    fetchImpl: async (url, init) => {
      seen.push({ url, method: init.method, auth: init.headers.Authorization });
      return new Response('{"url":"http://h/storage/x","sha256":"ab","size":3,"segments":1,"gaps":0,"problems":[]}', { status: 200 });
    },
  });
  const bundle = await api.exportEvidence('rec-a~cam1', Date.UTC(2026, 0, 15, 3), Date.UTC(2026, 0, 15, 4));
  assert.equal(bundle.sha256, 'ab');
  assert.deepEqual(seen, [{
    url: 'http://h/api/cameras/rec-a~cam1/export?from=2026-01-15T03%3A00%3A00.000Z&to=2026-01-15T04%3A00%3A00.000Z',
    method: 'POST',
    auth: 'Bearer t0k',
  }]);
  await assert.rejects(createApi({ token: 't', fetchImpl: answer(404, { detail: 'no signed manifest of it is archived yet' }) }).exportEvidence('rec-a~cam1', 0, 1000),
    e => e.kind === 'not_found' && e.detail === 'no signed manifest of it is archived yet');
});
