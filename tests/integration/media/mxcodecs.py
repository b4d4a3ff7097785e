"""Independent codec peers for the integration tests: ffmpeg encodes Opus (libopus) and
decodes Opus (its own decoder), AMR-NB and AMR-WB (its own decoders). This module moves
packets between RTP payloads and the files ffmpeg reads and writes: Ogg Opus (RFC 7845) and
the AMR storage format (RFC 4867 section 5)."""
import math
import struct
import subprocess

# ---- Ogg (RFC 3533) --------------------------------------------------------------------

_CRC = []
for _i in range(256):
    _r = _i << 24
    for _ in range(8):
        _r = ((_r << 1) ^ 0x04C11DB7) if _r & 0x80000000 else (_r << 1)
    _CRC.append(_r & 0xFFFFFFFF)


def _ogg_crc(data):
    crc = 0
    for b in data:
        crc = ((crc << 8) & 0xFFFFFFFF) ^ _CRC[((crc >> 24) ^ b) & 0xFF]
    return crc


def _ogg_page(serial, seq, granule, packet, flags):
    lacing = []
    n = len(packet)
    while n >= 255:
        lacing.append(255)
        n -= 255
    lacing.append(n)
    hdr = struct.pack("<4sBBqIIIB", b"OggS", 0, flags, granule, serial, seq, 0, len(lacing))
    page = bytearray(hdr + bytes(lacing) + packet)
    struct.pack_into("<I", page, 22, _ogg_crc(page))
    return bytes(page)


def ogg_opus_write(path, packets, samples_48k):
    """An Ogg Opus file of RTP Opus payloads (mono); samples_48k: each packet's duration."""
    serial = 0x6d78706c
    head = b"OpusHead" + struct.pack("<BBHIhB", 1, 1, 312, 48000, 0, 0)
    tags = b"OpusTags" + struct.pack("<I", 8) + b"mixplane" + struct.pack("<I", 0)
    out = [_ogg_page(serial, 0, 0, head, 2), _ogg_page(serial, 1, 0, tags, 0)]
    granule = 312
    for i, (p, n) in enumerate(zip(packets, samples_48k)):
        granule += n
        out.append(_ogg_page(serial, 2 + i, granule, p, 4 if i == len(packets) - 1 else 0))
    with open(path, "wb") as f:
        f.write(b"".join(out))


def ogg_packets(path):
    """The packets of an Ogg file (one logical stream), headers included."""
    data = open(path, "rb").read()
    pos, pkts, cur = 0, [], b""
    while pos + 27 <= len(data):
        if data[pos:pos + 4] != b"OggS":
            raise ValueError("not an Ogg page at %d" % pos)
        nseg = data[pos + 26]
        lac = data[pos + 27:pos + 27 + nseg]
        body = pos + 27 + nseg
        for ln in lac:
            cur += data[body:body + ln]
            body += ln
            if ln < 255:
                pkts.append(cur)
                cur = b""
        pos = body
    return pkts


def opus_encode_tone(path, freq, seconds, bitrate="32k", frame_ms=20):
    """Opus packets of a tone, encoded by ffmpeg's libopus (headers dropped)."""
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    "sine=frequency=%g:sample_rate=48000:duration=%g" % (freq, seconds),
                    "-af", "volume=0.5", "-ac", "1", "-c:a", "libopus", "-b:a", bitrate,
                    "-frame_duration", str(frame_ms), "-application", "voip", path],
                   check=True, timeout=60)
    return ogg_packets(path)[2:]


def opus_samples(pkt):
    """Duration of an Opus packet at 48 kHz (RFC 6716 section 3.1)."""
    toc = pkt[0]
    config = toc >> 3
    if config < 12:
        fs = [480, 960, 1920, 2880][config & 3]
    elif config < 16:
        fs = [480, 960][config & 1]
    else:
        fs = [120, 240, 480, 960][config & 3]
    code = toc & 3
    frames = 1 if code == 0 else 2 if code in (1, 2) else (pkt[1] & 0x3F)
    return fs * frames


def ffmpeg_decode(path, rate, fmt=None, codec=None, in_rate=None):
    """Decode a file with ffmpeg's own decoders to mono s16 at rate; returns samples.
    in_rate: the sample rate of a raw input format (mulaw)."""
    cmd = ["ffmpeg", "-nostdin", "-loglevel", "error"]
    if codec:
        cmd += ["-c:a", codec]
    if fmt:
        cmd += ["-f", fmt]
    if in_rate:
        cmd += ["-ar", str(in_rate), "-ac", "1"]
    cmd += ["-i", path, "-f", "s16le", "-ac", "1", "-ar", str(rate), "-"]
    out = subprocess.run(cmd, check=True, capture_output=True, timeout=60).stdout
    return struct.unpack("<%dh" % (len(out) // 2), out[:len(out) // 2 * 2])


def mulaw_encode_tone(freq, seconds, amp=0.5):
    """G.711 mu-law bytes of a tone, encoded by ffmpeg."""
    out = subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i",
                          "sine=frequency=%g:sample_rate=8000:duration=%g" % (freq, seconds),
                          "-af", "volume=%g" % amp, "-f", "mulaw", "-"],
                         check=True, capture_output=True, timeout=60).stdout
    return out


# ---- AMR (RFC 4867) ------------------------------------------------------------------------

AMR_NB_BITS = [95, 103, 118, 134, 148, 159, 204, 244, 39]
AMR_WB_BITS = [132, 177, 253, 285, 317, 365, 397, 461, 477, 40]


def amr_rtp_to_storage(payloads, wb):
    """RFC 4867 octet-aligned RTP payloads -> an AMR storage file (ffmpeg reads it)."""
    bits = AMR_WB_BITS if wb else AMR_NB_BITS
    out = [b"#!AMR-WB\n" if wb else b"#!AMR\n"]
    for p in payloads:
        i, tocs = 1, []
        while True:
            t = p[i]
            tocs.append(t)
            i += 1
            if not t & 0x80:
                break
        for t in tocs:
            ft = (t >> 3) & 0x0F
            n = (bits[ft] + 7) // 8 if ft < len(bits) else 0
            out.append(bytes([t & 0x7C]) + p[i:i + n])
            i += n
    return b"".join(out)


# ---- analysis ------------------------------------------------------------------------------

def goertzel(x, f, rate):
    k = 2 * math.cos(2 * math.pi * f / rate)
    s1 = s2 = 0.0
    for v in x:
        s0 = v + k * s1 - s2
        s2, s1 = s1, s0
    return (s1 * s1 + s2 * s2 - k * s1 * s2) / max(1, len(x)) ** 2


def tone_db(x, f, rate, block=None):
    """Level of frequency f in x (dB, per-block Goertzel averaged: robust to phase steps)."""
    block = block or rate // 4
    blocks = [x[i:i + block] for i in range(0, len(x) - block + 1, block)] or [x]
    return 10 * math.log10(sum(goertzel(b, f, rate) for b in blocks) / len(blocks) + 1e-12)


class AmrWbEncoder:
    """vo-amrwbenc through ctypes (the library itself, not lib/media's wrapper): 20 ms of
    16 kHz PCM -> one frame in storage format (header byte FT<<3|Q<<2, speech bits)."""

    def __init__(self, dtx=False):
        import ctypes
        self.ct = ctypes
        self.lib = ctypes.CDLL("libvo-amrwbenc.so.0")
        self.lib.E_IF_init.restype = ctypes.c_void_p
        self.lib.E_IF_encode.argtypes = [ctypes.c_void_p, ctypes.c_int,
                                         ctypes.POINTER(ctypes.c_short),
                                         ctypes.POINTER(ctypes.c_ubyte), ctypes.c_int]
        self.lib.E_IF_exit.argtypes = [ctypes.c_void_p]
        self.st = self.lib.E_IF_init()
        self.dtx = 1 if dtx else 0

    def encode(self, pcm, mode):
        ct = self.ct
        buf = (ct.c_short * 320)(*pcm)
        out = (ct.c_ubyte * 64)()
        n = self.lib.E_IF_encode(self.st, mode, buf, out, self.dtx)
        return bytes(out[:n])

    def close(self):
        self.lib.E_IF_exit(self.st)


def amr_storage_to_octet_aligned(frames, cmr=15):
    """Storage-format frames -> one RFC 4867 octet-aligned payload: CMR byte, ToC bytes
    (F set on all but the last), the frames' speech bytes."""
    toc = bytearray()
    for i, f in enumerate(frames):
        toc.append((f[0] & 0x7C) | (0x80 if i < len(frames) - 1 else 0))
    return bytes([cmr << 4]) + bytes(toc) + b"".join(f[1:] for f in frames)


def amr_storage_to_bandwidth_efficient(frames, cmr=15, wb=True):
    """Storage-format frames -> one RFC 4867 bandwidth-efficient payload: CMR (4 bits),
    ToC entries (F FT Q, 6 bits each), the frames' speech bits back to back, padded."""
    bits_of = AMR_WB_BITS if wb else AMR_NB_BITS
    bits = [(cmr >> (3 - i)) & 1 for i in range(4)]
    for i, f in enumerate(frames):
        ft, q = (f[0] >> 3) & 0x0F, (f[0] >> 2) & 1
        bits += [1 if i < len(frames) - 1 else 0] + [(ft >> (3 - k)) & 1 for k in range(4)] + [q]
    for f in frames:
        ft = (f[0] >> 3) & 0x0F
        nb = bits_of[ft] if ft < len(bits_of) else 0
        bits += [(f[1 + k // 8] >> (7 - k % 8)) & 1 for k in range(nb)]
    bits += [0] * (-len(bits) % 8)
    return bytes(sum(b << (7 - k) for k, b in enumerate(bits[i:i + 8]))
                 for i in range(0, len(bits), 8))


def amr_be_to_storage(payloads, wb):
    """RFC 4867 bandwidth-efficient RTP payloads -> an AMR storage file."""
    bits_of = AMR_WB_BITS if wb else AMR_NB_BITS
    out = [b"#!AMR-WB\n" if wb else b"#!AMR\n"]
    for p in payloads:
        bits = [(p[k // 8] >> (7 - k % 8)) & 1 for k in range(8 * len(p))]
        pos, tocs = 4, []
        while True:
            f = bits[pos]
            ft = sum(b << (3 - k) for k, b in enumerate(bits[pos + 1:pos + 5]))
            q = bits[pos + 5]
            tocs.append((ft, q))
            pos += 6
            if not f:
                break
        for ft, q in tocs:
            nb = bits_of[ft] if ft < len(bits_of) else 0
            fb = bits[pos:pos + nb] + [0] * (-nb % 8)
            pos += nb
            out.append(bytes([(ft << 3) | (q << 2)]) +
                       bytes(sum(b << (7 - k) for k, b in enumerate(fb[i:i + 8]))
                             for i in range(0, len(fb), 8)))
    return b"".join(out)
