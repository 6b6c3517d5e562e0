#!/usr/bin/env python3
"""Test vectors of docs/evidence-format.md, written by an implementation independent of the C# library
(Python's hashlib and the `cryptography` package), so the library's tests check it against these files, not
against itself. Run from this folder: python3 make_vectors.py. The key in test-key.pem is for these vectors
only; it is published on purpose and signs nothing real. An existing test-key.pem is reused; ECDSA signatures
are randomised, so each run gives other (equally valid) signatures but the same hashes."""
import base64, hashlib, json, os
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

def s(v):
    out = ['"']
    for ch in v:
        if ch == '"': out.append('\\"')
        elif ch == '\\': out.append('\\\\')
        elif ord(ch) < 0x20: out.append('\\u%04x' % ord(ch))
        else: out.append(ch)
    out.append('"')
    return ''.join(out)

def obj(members):  # members: list of (name, value); ints stay ints, str are strings
    return ('{' + ','.join(s(k) + ':' + (str(v) if isinstance(v, int) else s(v)) for k, v in members) + '}').encode('utf-8')

ZERO = '0' * 64
if not os.path.exists('test-key.pem'):
    k = ec.generate_private_key(ec.SECP256R1())
    open('test-key.pem', 'wb').write(k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
key = serialization.load_pem_private_key(open('test-key.pem', 'rb').read(), None)
spki = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
open('public-key.pem', 'wb').write(key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
fingerprint = hashlib.sha256(spki).hexdigest()

segments = [b'segment 0 of rec-a~cam1\n', b'segment 1 of rec-a~cam1\n', b'segment 0 of run 2 of rec-a~cam1\n']
entries, prev = [], ZERO
def add(members):
    global prev
    b = obj([('format', 'cctv-chain/1'), ('recorder', 'rec-a'), ('camera', 'cam1'), ('index', len(entries))] + members + [('prev', prev)])
    entries.append(b)
    prev = hashlib.sha256(b).hexdigest()
def seg(run, seq, start, end, data):
    add([('kind', 'segment'), ('run', run), ('seq', seq), ('start', start), ('end', end), ('size', len(data)), ('sha256', hashlib.sha256(data).hexdigest())])
seg(1, 0, '2026-12-01T08:00:00.000Z', '2026-12-01T08:00:04.000Z', segments[0])
seg(1, 1, '2026-12-01T08:00:04.000Z', '2026-12-01T08:00:08.040Z', segments[1])
add([('kind', 'gap'), ('start', '2026-12-01T08:00:08.040Z'), ('end', '2026-12-01T08:00:40.500Z'), ('reason', 'camera offline: "no route"\ncafé')])
seg(2, 0, '2026-12-01T08:00:40.500Z', '2026-12-01T08:00:44.500Z', segments[2])

manifests, prev_manifest = [], ZERO
for seq, (first, last, signed_at) in enumerate([(0, 1, '2026-12-01T08:01:00.000Z'), (2, 3, '2026-12-01T08:02:00.000Z')]):
    body = obj([('format', 'cctv-manifest/1'), ('recorder', 'rec-a'), ('camera', 'cam1'), ('key', fingerprint), ('seq', seq), ('first', first),
                ('last', last), ('head', hashlib.sha256(entries[last]).hexdigest()), ('prev_manifest', prev_manifest), ('signed_at', signed_at)])
    r, sv = decode_dss_signature(key.sign(body, ec.ECDSA(hashes.SHA256())))
    sig = r.to_bytes(32, 'big') + sv.to_bytes(32, 'big')
    name = 'rec-a~cam1-%010d.manifest' % seq
    open(name, 'wb').write(body + b'\n' + base64.b64encode(sig) + b'\n' + b''.join(e + b'\n' for e in entries[first:last + 1]))
    manifests.append({'file': name, 'sha256': hashlib.sha256(body).hexdigest(), 'signature_p1363_base64': base64.b64encode(sig).decode()})
    prev_manifest = hashlib.sha256(body).hexdigest()

json.dump({
    'camera': 'rec-a~cam1',
    'public_key_spki_base64': base64.b64encode(spki).decode(),
    'key_fingerprint': fingerprint,
    'segments': [{'run': r, 'seq': q, 'bytes_base64': base64.b64encode(d).decode(), 'sha256': hashlib.sha256(d).hexdigest()}
                 for (r, q), d in zip([(1, 0), (1, 1), (2, 0)], segments)],
    'entries': [{'canonical': e.decode('utf-8'), 'sha256': hashlib.sha256(e).hexdigest()} for e in entries],
    'manifests': manifests,
}, open('vectors.json', 'w', encoding='utf-8'), indent=2, ensure_ascii=False)
open('vectors.json', 'a').write('\n')
