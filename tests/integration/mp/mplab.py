"""Helpers for daemon-side Mp tests: mrfc's participant key file → mxp-srtp-peer arguments."""
import re


def read_keys(path):
    """Parse mrfc's --keys-out file: one dict per leg (ctx, term, mrfp addr/port,
    participant addr/port, tx and rx base64 keys and MKIs)."""
    legs, cur = [], None
    with open(path) as f:
        for line in f:
            w = line.split()
            if not w or w[0].startswith("#"):
                continue
            if w[0] == "leg":
                cur = dict(ctx=int(w[1]), term=w[2], mrfp=w[3], mrfp_port=int(w[4]),
                           addr=w[5], port=int(w[6]), pt=int(w[7]))
                legs.append(cur)
            elif w[0] in ("tx", "rx") and cur is not None:
                m = re.search(r"inline:([A-Za-z0-9+/=]+)", line)
                mki = re.search(r"\|(\d+):(\d+)", line)
                cur[w[0] + "_mki"] = int(mki.group(1)) if mki else None
                # the form mxp-srtp-peer takes: BASE64[:MKI:LEN]
                cur[w[0]] = m.group(1) + (":%s:%s" % (mki.group(1), mki.group(2)) if mki else "")
                cur[w[0] + "_b64"] = m.group(1)
                cur[w[0] + "_line"] = " ".join(w[1:])
    return legs
