#!/usr/bin/env python3
"""Measures how far behind capture the bytes FFmpeg's segment+fMP4 output puts on disk are.
One RTSP camera (rtsp-server-perl + an FFmpeg publisher, as the demo's SyntheticCameras), several recorders
(each a variant of the recorder's arguments) reading it at once; every 50 ms the growing file of each is stat'ed.
Afterwards each file's whole fragments (moof+mdat) are mapped to the media time they end at; a fragment's lag is
(wall time its last byte was first seen on disk) - (t0 + media end time), t0 = when the file first had bytes."""
import os, struct, subprocess, sys, time, signal, statistics, socket

def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p

def boxes(buf, start, end):
    off = start
    while off + 8 <= end:
        size, typ = struct.unpack(">I4s", buf[off:off+8]); hdr = 8
        if size == 1: size = struct.unpack(">Q", buf[off+8:off+16])[0]; hdr = 16
        elif size == 0: size = end - off
        if size < hdr or off + size > end: return
        yield typ.decode("latin1"), off, off + hdr, off + size
        off += size

def fragments(path):
    buf = open(path, "rb").read()
    timescale = None; out = []; t_end = None; moof = None
    for typ, o, b, e in boxes(buf, 0, len(buf)):
        if typ == "moov":
            def find(b0, e0, names):
                for t, o1, b1, e1 in boxes(buf, b0, e0):
                    if t == names[0]:
                        if len(names) == 1: return b1, e1
                        r = find(b1, e1, names[1:])
                        if r: return r
            mb, me = find(b, e, ["trak", "mdia", "mdhd"])
            v = buf[mb]
            timescale = struct.unpack(">I", buf[mb+12:mb+16] if v == 0 else buf[mb+20:mb+24])[0]
        elif typ == "moof":
            moof = (b, e)
        elif typ == "mdat" and moof:
            for t, o1, b1, e1 in boxes(buf, *moof):
                if t != "traf": continue
                dflt = 0; base = 0; total = 0
                for t2, o2, b2, e2 in boxes(buf, b1, e1):
                    flags = int.from_bytes(buf[b2+1:b2+4], "big")
                    if t2 == "tfhd":
                        p = b2 + 8
                        if flags & 1: p += 8
                        if flags & 2: p += 4
                        if flags & 8: dflt = struct.unpack(">I", buf[p:p+4])[0]
                    elif t2 == "tfdt":
                        base = struct.unpack(">Q" if buf[b2] == 1 else ">I", buf[b2+4:b2+(12 if buf[b2]==1 else 8)])[0]
                    elif t2 == "trun":
                        n = struct.unpack(">I", buf[b2+4:b2+8])[0]; p = b2 + 8
                        if flags & 1: p += 4
                        if flags & 4: p += 4
                        for i in range(n):
                            d = dflt
                            if flags & 0x100: d = struct.unpack(">I", buf[p:p+4])[0]; p += 4
                            if flags & 0x200: p += 4
                            if flags & 0x400: p += 4
                            if flags & 0x800: p += 4
                            total += d
                out.append((e, (base + total) / timescale))
                break
            moof = None
    return out

def main():
    secs = float(sys.argv[1]) if len(sys.argv) > 1 else 30
    bitrate = sys.argv[2] if len(sys.argv) > 2 else "3M"
    root = "/tmp/mm/run"; subprocess.run(["rm", "-rf", root]); os.makedirs(root)
    cport, sport = free_port(), free_port()
    procs = []
    srv = subprocess.Popen(["rtsp-server-perl", "--clientport", str(cport), "--serverport", str(sport),
        "--client_listen_address", "127.0.0.1", "--source_listen_address", "127.0.0.1"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    procs.append(srv); time.sleep(1.5)
    pub = subprocess.Popen(["ffmpeg", "-hide_banner", "-loglevel", "error", "-re", "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=25",
        "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "50", "-keyint_min", "50", "-sc_threshold", "0",
        "-b:v", bitrate, "-maxrate", bitrate, "-bufsize", bitrate, "-pix_fmt", "yuv420p", "-f", "rtsp", f"rtsp://127.0.0.1:{sport}/cam1"])
    procs.append(pub); time.sleep(2.5)
    base = "movflags=+frag_keyframe+empty_moov+default_base_moof"
    variants = {
        "current": ([], base),
        "frag1s": ([], base + ":frag_duration=1000000"),
        "frag500ms": ([], base + ":frag_duration=500000"),
        "flush": (["-flush_packets", "1"], base),
        "frag1s_flush": (["-flush_packets", "1"], base + ":frag_duration=1000000"),
        "frag1s_innerflush": ([], base + ":frag_duration=1000000:flush_packets=1"),
        "frag500ms_innerflush": ([], base + ":frag_duration=500000:flush_packets=1"),
        "frag250ms_innerflush": ([], base + ":frag_duration=250000:flush_packets=1"),
        "current_innerflush": ([], base + ":flush_packets=1"),
    }
    recs = {}
    for name, (extra, opts) in variants.items():
        d = os.path.join(root, name); os.makedirs(d)
        args = ["ffmpeg", "-hide_banner", "-nostats", "-loglevel", "warning", "-rtsp_transport", "udp", "-timeout", "5000000",
                "-i", f"rtsp://127.0.0.1:{cport}/cam1", "-map", "0:v:0", "-c", "copy"] + extra + ["-f", "segment",
                "-segment_time", "300", "-segment_format", "mp4", "-segment_format_options", opts, "-reset_timestamps", "1",
                "-segment_list", os.path.join(d, "segments.csv"), "-segment_list_type", "csv", os.path.join(d, "seg_%06d.mp4")]
        recs[name] = subprocess.Popen(args, stdin=subprocess.PIPE, stderr=open(os.path.join(d, "stderr.txt"), "w"))
        procs.append(recs[name])
    # reference: the same stream to stdout as framecrc, flushed per packet; each line timestamped on arrival
    import threading
    ref = subprocess.Popen(["ffmpeg", "-hide_banner", "-nostats", "-loglevel", "error", "-rtsp_transport", "udp", "-i", f"rtsp://127.0.0.1:{cport}/cam1",
        "-map", "0:v:0", "-c", "copy", "-flush_packets", "1", "-f", "framecrc", "-"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    procs.append(ref); arrivals = []
    def pump():
        for line in ref.stdout:
            if line.startswith(b"#"): continue
            parts = line.decode().split(",")
            arrivals.append((time.monotonic(), int(parts[1]), int(parts[3].strip())))  # wall, dts, duration (timebase from header)
    th = threading.Thread(target=pump, daemon=True); th.start()
    samples = {n: [] for n in variants}
    end = time.monotonic() + secs
    while time.monotonic() < end:
        now = time.monotonic()
        for n in variants:
            p = os.path.join(root, n, "seg_000000.mp4")
            try: samples[n].append((now, os.stat(p).st_size))
            except FileNotFoundError: pass
        time.sleep(0.05)
    for n, r in recs.items():
        r.stdin.write(b"q"); r.stdin.flush()
    for r in recs.values(): r.wait(10)
    ref.stdin.write(b"q"); ref.stdin.flush(); ref.wait(10)
    pub.terminate(); pub.wait(); srv.terminate(); srv.wait()
    st = [a for a in arrivals if a[0] - arrivals[0][0] > 4]; o = min(w - d / 90000 for w, d, _ in st)
    print("burst: first packets arrive ahead of the capture clock by", [round(o + d/90000 - w, 3) for w, d, _ in arrivals[:60:5]])
    print("reference packets:", len(arrivals), "first arrivals:", [(round(a[0]-arrivals[0][0],3), a[1]) for a in arrivals[:3]], "last dts", arrivals[-1][1])
    print(f"{'variant':20} frags  mean_frag_s  lag_p50_s  lag_max_s  risk_p50_s  risk_max_s  ffprobe_dur  parsed_dur")
    for n in variants:
        path = os.path.join(root, n, "seg_000000.mp4")
        s = samples[n]; first_bytes = next(t for t, sz in s if sz > 0)
        # capture clock: wall = offset + dts/90000, offset the earliest (wall - dts) once past the start-up burst
        steady = [a for a in arrivals if a[0] - arrivals[0][0] > 4]
        offset = min(w - d / 90000 for w, d, _ in steady)
        t0 = offset + arrivals[0][1] / 90000
        fr = fragments(path)
        lags = []
        for off, mend in fr:
            seen = next((t for t, sz in s if sz >= off), None)
            if seen is None or mend < 3: continue  # written only at the stop, or in the start-up burst
            lags.append(seen - (t0 + mend))
        # footage at risk at each sample: elapsed capture time minus media time whole on disk
        risks = []
        for t, sz in s:
            if t - t0 < 4: continue
            covered = max([m for off, m in fr if off <= sz], default=0.0)
            risks.append((t - t0) - covered)
        dur = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", path], capture_output=True, text=True).stdout.strip()
        lags.sort(); risks.sort()
        mean_frag = fr[-1][1] / len(fr) if fr else 0
        print(f"{n:20} {len(fr):5}  {mean_frag:11.3f}  {statistics.median(lags):9.3f}  {max(lags):9.3f}  {statistics.median(risks):10.3f}  {max(risks):10.3f}  {dur:>11}  {fr[-1][1]:10.3f}  first_bytes_at={first_bytes - t0:.3f}")

main()
