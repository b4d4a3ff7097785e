"""The Prometheus endpoint ([metrics] listen): GET /metrics scraped with urllib from the host
(the daemon's socket is in the root namespace). promtool check metrics accepts the page; its
numbers are the CLI's --json numbers (conferences and legs by mode, participants per worker,
worker packets, drops per reason after a malformed packet and a forged SRTP packet, mix ticks
that survive the conference's deletion, Mp transactions, ESP SAs, MRFC reachability); no key
and no fingerprint is on the page. Requests it refuses: 404, 405, 400, an oversize head
(431), a client that connects and sends nothing (the CLI and another scrape are answered
meanwhile; it gets 408 at its deadline), all slots taken (503). A port in use and a bad
address are startup errors that name [metrics] listen. A real Prometheus server scrapes it
with deploy/prometheus's job and rules."""
import os
import re
import socket
import struct
import subprocess
import time
import urllib.error
import urllib.request
import mxplab
from mxplab import check, Lab, wait_for, DAEMON_IP4, KERNEL_IP4, MIXPLANE, gen_key

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')
MAX_CONNS = 8


def free_port():
    """A TCP port nothing listens on now (the kernel's choice)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


class Page:
    """A scraped page: text, and samples by (name, frozenset of labels)."""

    def __init__(self, text):
        self.text = text
        self.s = {}
        for line in text.splitlines():
            if not line or line.startswith("#"):
                continue
            m = SAMPLE.match(line)
            if m is None:
                raise mxplab.TestFailure("not a sample line: %r" % line)
            labels = frozenset(LABEL.findall(m.group(2) or ""))
            self.s[(m.group(1), labels)] = float(m.group(3))

    def get(self, name, **labels):
        k = (name, frozenset((a, str(b)) for a, b in labels.items()))
        if k not in self.s:
            raise mxplab.TestFailure("no sample %s%s on the page" % (name, labels))
        return self.s[k]

    def has(self, name, **labels):
        return (name, frozenset((a, str(b)) for a, b in labels.items())) in self.s

    def by(self, name, label):
        """{label value: value} of a family's samples."""
        return {dict(k[1])[label]: v for k, v in self.s.items() if k[0] == name}


def scrape(url, say=False):
    with urllib.request.urlopen(url, timeout=10) as r:
        ok = r.status == 200 and r.headers["Content-Type"] == \
            "text/plain; version=0.0.4; charset=utf-8"
        if say or not ok:
            check(ok, "GET /metrics: 200, text/plain; version=0.0.4; charset=utf-8 (%s)"
                  % r.headers["Content-Type"])
        return Page(r.read().decode())


def promtool_ok(page, what):
    r = subprocess.run(["promtool", "check", "metrics"], input=page.text,
                       capture_output=True, text=True, timeout=60)
    check(r.returncode == 0, "promtool check metrics accepts the page (%s)%s" % (
        what, "" if r.returncode == 0 else ": " + r.stdout + r.stderr))


def raw(port, data, shut=True, timeout=10):
    """Send data on a new connection, read the answer to the end; returns it (bytes)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        if data:  # (nothing: read what the daemon says unasked)
            s.sendall(data)
        if data and shut:
            s.shutdown(socket.SHUT_WR)
        out = b""
        while True:
            b = s.recv(65536)
            if not b:
                return out
            out += b
    finally:
        s.close()


def status(answer):
    return int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.1 ") else None


def between(lo, v, hi, what):
    """A counter read between two CLI reads lies between them (equal when they are)."""
    check(lo <= v <= hi, "%s: %s, the CLI's %s%s" % (what, v, lo,
                                                    "" if lo == hi else " .. %s" % hi))


def ns_send(lab, dport, payload, sport):
    """One UDP datagram from the participants' namespace to the daemon."""
    lab.ns_python("import socket\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
                  "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
                  "s.bind((%r, %d))\ns.sendto(bytes.fromhex(%r), (%r, %d))\n"
                  % (KERNEL_IP4, sport, payload.hex(), DAEMON_IP4, dport))


def conf_figures(lab):
    """From show conferences --json: conferences and legs by mode, legs per worker."""
    confs, legs, wlegs = {}, {}, {}
    for c in lab.ctl_json("show", "conferences"):
        confs[c["mode"]] = confs.get(c["mode"], 0) + 1
        legs[c["mode"]] = legs.get(c["mode"], 0) + c["legs"]
        wlegs[str(c["worker"])] = wlegs.get(str(c["worker"]), 0) + c["legs"]
    return confs, legs, wlegs


def check_confs(lab, page, what):
    confs, legs, wlegs = conf_figures(lab)
    for mode in ("switch", "forward", "mix"):
        check(page.get("mixplane_conferences", mode=mode) == confs.get(mode, 0) and
              page.get("mixplane_legs", mode=mode) == legs.get(mode, 0),
              "%s: %s conferences %d, legs %d (show conferences)" % (
                  what, mode, confs.get(mode, 0), legs.get(mode, 0)))
    check(page.by("mixplane_worker_participants", "worker") ==
          {w: float(wlegs.get(w, 0)) for w in page.by("mixplane_worker_participants", "worker")},
          "%s: participants per worker %s" % (what, wlegs))


def check_counters(lab, url, what):
    """Workers' packets and drops per reason: the page between two CLI reads."""
    s0, d0 = lab.stats(), lab.drops()
    page = scrape(url)
    s1, d1 = lab.stats(), lab.drops()
    for w0, w1 in zip(s0["workers"], s1["workers"]):
        for key, name in (("rx_packets", "mixplane_worker_rx_packets_total"),
                          ("tx_packets", "mixplane_worker_tx_packets_total")):
            between(w0[key], page.get(name, worker=w0["worker"]), w1[key],
                    "%s: worker %d %s" % (what, w0["worker"], key))
    drops = page.by("mixplane_drops_total", "reason")
    check(set(drops) == set(d1), "%s: every drop reason of show drops is a label (%d)"
          % (what, len(d1)))
    check(all(d0[r] <= drops[r] <= d1[r] for r in d1),
          "%s: drops per reason as show drops counts them" % what)
    return page


def test_bad_config(lab):
    """-c refuses a listen that is not ADDR:PORT; a port in use stops the start."""
    bad = os.path.join(lab.dir, "bad.ini")
    with open(lab.cfg) as f:
        text = f.read()
    with open(bad, "w") as f:
        f.write(re.sub(r"listen = .*", "listen = 127.0.0.1", text))
    r = subprocess.run([MIXPLANE, "--", "-f", bad, "-c"], capture_output=True, text=True)
    check(r.returncode == 2 and "[metrics]" in r.stderr and "listen" in r.stderr and
          "ADDR:PORT" in r.stderr, "-c: a listen without a port is refused (%s)"
          % r.stderr.strip())
    # the running daemon holds the port: a second one with the same [metrics] cannot start
    with open(bad, "w") as f:
        f.write(text.replace(lab.sock, os.path.join(lab.dir, "second.sock")))
    r = subprocess.run([MIXPLANE, "-l", "0,1", "--no-pci", "--file-prefix", lab.prefix + "b",
                        "--no-huge", "-m", "64", "--log-level", "lib.eal:warning", "--",
                        "-f", bad], capture_output=True, text=True, timeout=60)
    check(r.returncode != 0 and "[metrics] listen 127.0.0.1:" in r.stderr and
          "Address already in use" in r.stderr,
          "a second daemon on the same metrics port: a startup error naming [metrics] "
          "listen (%s)" % r.stderr.strip().splitlines()[-1:])


def test_requests(lab, port, url):
    """What the endpoint refuses, and a client that sends nothing blocks nobody."""
    try:
        urllib.request.urlopen(url.replace("/metrics", "/"), timeout=10)
        check(False, "GET /: 404")
    except urllib.error.HTTPError as e:
        check(e.code == 404, "GET /: %d" % e.code)
    a = raw(port, b"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc")
    check(status(a) == 405 and b"\r\nAllow: GET, HEAD\r\n" in a, "POST /metrics: 405 with Allow")
    a = raw(port, b"GET /metrics?x=1 HTTP/1.0\r\n\r\n")
    check(status(a) == 200 and b"mixplane_conferences{" in a, "GET /metrics?x=1: 200, the page")
    a = raw(port, b"HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
    head, _, body = a.partition(b"\r\n\r\n")
    check(status(a) == 200 and body == b"" and b"Content-Length: " in head,
          "HEAD /metrics: 200, headers only")
    for req in (b"HELLO\r\n\r\n", b"GET metrics HTTP/1.1\r\n\r\n", b"GET /metrics FTP/1\r\n\r\n"):
        check(status(raw(port, req)) == 400, "%r: 400" % req[:20])
    a = raw(port, b"GET /metrics HTTP/1.1\r\n" + b"X-Junk: " + b"a" * 20000 + b"\r\n\r\n")
    check(status(a) == 431, "a 20 kB request head: 431 (%r)" % a[:40])

    # a client that connects and sends nothing holds one slot, and nothing else
    slow = socket.create_connection(("127.0.0.1", port), timeout=15)
    t0 = time.monotonic()
    v = lab.ctl_json("show", "version")
    check(v["version"], "the CLI answers while a metrics client sends nothing")
    page = scrape(url)
    check(page.has("mixplane_conferences", mode="switch"),
          "another scrape is answered meanwhile")
    a = b""
    while True:  # the daemon closes it at its deadline (5 s)
        b = slow.recv(4096)
        if not b:
            break
        a += b
    slow.close()
    check(status(a) == 408 and time.monotonic() - t0 >= 4,
          "the silent client gets 408 and is closed at its deadline (%.1f s)"
          % (time.monotonic() - t0))

    # all slots taken: the next connection is answered 503 at once (before it sends: the
    # daemon closes at once, a request it never reads would reset the connection)
    held = [socket.create_connection(("127.0.0.1", port), timeout=10)
            for _ in range(MAX_CONNS)]
    try:
        wait_for(lambda: status(raw(port, b"")) == 503, 10,
                 "a connection beyond %d to be refused 503" % MAX_CONNS)
        check(True, "%d connections held: the next is answered 503" % MAX_CONNS)
    finally:
        for s in held:
            s.close()
    def served():
        # until the daemon has seen the held connections close, a request still meets
        # the 503, whose close resets a connection that sent its request first
        try:
            return status(raw(port, b"GET /metrics HTTP/1.1\r\n\r\n")) == 200
        except ConnectionResetError:
            return False
    wait_for(served, 10, "the slots to be free again")
    page = scrape(url)
    ans = page.by("mixplane_metrics_answers_total", "code")
    ref = page.by("mixplane_metrics_refused_total", "reason")
    check(ans["404"] == 1 and ans["405"] == 1 and ans["400"] == 3 and ans["431"] == 1 and
          ans["408"] == 1 and ans["503"] >= 1,
          "the endpoint counts its answers by status: %s" % ans)
    check(ref["timeout"] == 1 and ref["oversize"] == 1 and ref["busy"] == ans["503"],
          "and what it refused: %s" % ref)


def test_media(lab, url):
    page = scrape(url, say=True)
    promtool_ok(page, "idle")
    check(page.get("mixplane_workers") == 1 and page.get("mixplane_mp_enabled") == 0 and
          page.get("mixplane_esp_sas") == 0 and not page.has("mixplane_mrfc_reachable"),
          "idle: 1 worker, Mp off, no SA, no MRFC gauge")
    v = lab.ctl_json("show", "version")
    check(page.has("mixplane_build_info", version=v["version"], dpdk=v["dpdk"],
                   ipsec_mb=v["ipsec_mb"]), "build info: the versions of show version")
    up = page.get("mixplane_start_time_seconds")
    check(abs(time.time() - v["uptime_s"] - up) < 3,
          "start time: now - uptime (%.0f)" % up)
    check_confs(lab, page, "idle")

    # a switch conference of 3 with media, a mix conference of 2, an empty forward one
    sw = lab.conf_create("mode", "switch")
    parts = []
    for i in range(3):
        k_in, k_out = gen_key(), gen_key()
        leg = lab.leg_add(sw, k_in, k_out, (KERNEL_IP4, 5000 + 2 * i))
        parts.append((5000 + 2 * i, k_in, k_out, leg))
    mx = lab.conf_create("mode", "mix")
    for i in range(2):
        lab.leg_add(mx, gen_key(), gen_key(), (KERNEL_IP4, 5100 + 2 * i))
    lab.conf_create("mode", "forward")
    res = lab.peer(KERNEL_IP4, rx=[(p[0], p[2]) for p in parts],
                   tx=[(p[0], DAEMON_IP4, p[3]["local_port"], p[1], 0x4000 + i, i + 1)
                       for i, p in enumerate(parts)], count=25, wait_ms=300)
    heard = sum(sum(r["from"].values()) for r in res["rx"].values())
    check(heard == 3 * 2 * 25, "media flowed through the switch conference (%d packets "
          "heard)" % heard)
    page = scrape(url)
    promtool_ok(page, "3 conferences with media")
    check_confs(lab, page, "3 conferences")
    page = check_counters(lab, url, "after media")
    check(page.get("mixplane_worker_rx_packets_total", worker=0) >= 75,
          "worker 0 received the 75 packets sent")

    # a malformed RTP packet and a forged SRTP packet: the CLI and the page see the same
    d0 = lab.drops()
    a0 = scrape(url).get("mixplane_srtp_auth_failures_total", worker=0)
    ns_send(lab, parts[0][3]["local_port"], b"\x80\x00", 40000)
    rtp = struct.pack("!BBHII", 0x80, 0, 7, 160, 0x1234) + os.urandom(30)
    ns_send(lab, parts[1][3]["local_port"], rtp, parts[1][0])
    # (the namespace's kernel may send other frames meanwhile: only these two reasons count)
    wait_for(lambda: all(lab.drops()[r] > d0[r] for r in ("srtp_auth", "rtp_truncated")), 10,
             "the two packets dropped (srtp_auth, rtp_truncated)")
    d1 = lab.drops()
    diff = {r: d1[r] - d0[r] for r in d1 if d1[r] != d0[r]}
    page = check_counters(lab, url, "after a malformed and a forged packet")
    check(diff["srtp_auth"] == 1 and diff["rtp_truncated"] == 1,
          "show drops: one srtp_auth, one rtp_truncated (all changes: %s)" % diff)
    check(page.get("mixplane_srtp_auth_failures_total", worker=0) == a0 + 1 ==
          page.get("mixplane_drops_total", reason="srtp_auth"),
          "mixplane_srtp_auth_failures_total: one more, = drops{reason=srtp_auth}")
    check(page.get("mixplane_drops_total", reason="rtp_truncated") == d1["rtp_truncated"],
          "drops{reason=rtp_truncated} = %d as show drops" % d1["rtp_truncated"])

    # mix ticks: the page between two show conference reads; deleting keeps them
    t0 = lab.ctl_json("show", "conference", str(mx))
    page = scrape(url)
    t1 = lab.ctl_json("show", "conference", str(mx))
    between(t0["mix_ticks"], page.get("mixplane_mix_ticks_total", worker=0), t1["mix_ticks"],
            "mix ticks of worker 0")
    between(t0["mix_late_ticks"], page.get("mixplane_mix_late_ticks_total", worker=0),
            t1["mix_late_ticks"], "late mix ticks of worker 0")
    lab.ctl("conference", "delete", str(mx))
    page = scrape(url)
    check(page.get("mixplane_mix_ticks_total", worker=0) >= t1["mix_ticks"] > 0,
          "the mix conference deleted: its %d ticks stay counted" % t1["mix_ticks"])
    check_confs(lab, page, "the mix conference deleted")


def test_prometheus(lab, port):
    """A real Prometheus server (Debian's) scrapes the daemon every second with the example
    configuration's job and alerts.yml: the target is up, a query gives the CLI's numbers,
    the recording rules have values and every rule loaded."""
    import json
    import shutil
    with open(os.path.join(mxplab.SOURCE, "deploy", "prometheus", "prometheus.yml")) as f:
        example = f.read()
    check("job_name: mixplane\n" in example and "scrape_timeout: 5s" in example,
          "the example configuration's job")
    cfg = os.path.join(lab.dir, "prometheus.yml")
    shutil.copy(os.path.join(mxplab.SOURCE, "deploy", "prometheus", "alerts.yml"), lab.dir)
    with open(cfg, "w") as f:
        f.write("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                "rule_files: [alerts.yml]\nscrape_configs:\n  - job_name: mixplane\n"
                "    scrape_timeout: 1s\n    static_configs:\n"
                "      - targets: ['127.0.0.1:%d']\n" % port)
    web = free_port()
    api = "http://127.0.0.1:%d/api/v1/" % web
    log = open(os.path.join(lab.dir, "prometheus.log"), "w")
    prom = subprocess.Popen(["prometheus", "--config.file=" + cfg,
                             "--storage.tsdb.path=" + os.path.join(lab.dir, "tsdb"),
                             "--web.listen-address=127.0.0.1:%d" % web],
                            stdout=log, stderr=subprocess.STDOUT)

    def query(q):
        try:
            with urllib.request.urlopen(api + "query?query=" + urllib.request.quote(q),
                                        timeout=5) as r:
                return json.loads(r.read())["data"]["result"]
        except (OSError, ValueError):
            return None

    try:
        wait_for(lambda: query('up{job="mixplane"}') == [] or query('up{job="mixplane"}'),
                 30, "Prometheus to answer")
        up = wait_for(lambda: [x for x in query('up{job="mixplane"}') or []
                               if x["value"][1] == "1"], 30, "the daemon's target to be up")
        check(len(up) == 1, "Prometheus scrapes the daemon: up = 1")
        legs = sum(c["legs"] for c in lab.ctl_json("show", "conferences"))
        got = wait_for(lambda: query("sum(mixplane_legs)"), 10, "sum(mixplane_legs)")
        check(float(got[0]["value"][1]) == legs, "sum(mixplane_legs) = %s, the CLI's %d"
              % (got[0]["value"][1], legs))
        busy = wait_for(lambda: query("mixplane:worker_busy:ratio_rate1m"), 30,
                        "the worker load recording rule to have a value")
        check(0 <= float(busy[0]["value"][1]) <= 1 and busy[0]["metric"]["worker"] == "0",
              "mixplane:worker_busy:ratio_rate1m{worker=0} = %s" % busy[0]["value"][1])
        with urllib.request.urlopen(api + "rules", timeout=5) as r:
            groups = json.loads(r.read())["data"]["groups"]
        rules = [x for g in groups for x in g["rules"]]
        check(len(rules) >= 10 and all(x["health"] in ("ok", "unknown") for x in rules) and
              not any(x.get("lastError") for x in rules),
              "Prometheus loaded the %d rules of alerts.yml, none in error" % len(rules))
    finally:
        prom.terminate()
        prom.wait(timeout=30)
        log.close()


def test_mp(port):
    """Mp, ESP and the MRFC gauge, against a daemon with an MRFC over ESP (and its endpoint
    on IPv6's loopback)."""
    extra = "[metrics]\nlisten = [::1]:%d\n" % port
    url = "http://[::1]:%d/metrics" % port
    with Lab("metricsmp", mp=True, extra_config=extra) as lab:
        page = scrape(url, say=True)
        check(page.get("mixplane_mp_enabled") == 1 and
              page.get("mixplane_mrfc_reachable") == 0,
              "Mp on; before the MRFC answers the ServiceChange: mrfc_reachable 0")
        listen = subprocess.Popen(["ip", "netns", "exec", lab.ns, mxplab.MRFC, "--sa",
                                   lab.mrfc_sa, "listen", "duration=60"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_for(lambda: scrape(url).get("mixplane_mrfc_reachable") == 1, 20,
                     "mixplane_mrfc_reachable to be 1")
            check(True, "the MRFC answered: mixplane_mrfc_reachable 1")
        finally:
            listen.terminate()
            listen.wait()
        lab.mrfc("add", "legs=2", "mode=switch", "remote=%s:5000" % KERNEL_IP4)
        mp0, esp0 = lab.ctl_json("show", "mp"), lab.ctl_json("show", "esp")
        page = scrape(url)
        mp1, esp1 = lab.ctl_json("show", "mp"), lab.ctl_json("show", "esp")
        promtool_ok(page, "Mp over ESP")
        for key in ("messages", "requests", "replies", "errors", "requests_sent", "answered",
                    "retransmissions", "gave_up"):
            between(mp0[key], page.get("mixplane_mp_%s_total" % key), mp1[key], "Mp " + key)
        check(page.get("mixplane_mp_requests_total") >= 1 and
              page.get("mixplane_mp_errors_total") == 0, "the Add counted, no error sent")
        check(page.get("mixplane_esp_sas") == len(esp1["sas"]) == 2, "ESP: 2 SAs")
        between(esp0["accepted"], page.get("mixplane_esp_accepted_total"), esp1["accepted"],
                "ESP accepted")
        check(all(esp0["drops"][r] <= page.get("mixplane_esp_drops_total", reason=r) <=
                  esp1["drops"][r] for r in esp1["drops"]),
              "ESP drops per reason as show esp (bad_icv %d)" % esp1["drops"]["bad_icv"])
        for s0, s1 in zip(esp0["sas"], esp1["sas"]):
            lab_ = dict(dir=s1["dir"], spi=s1["spi"], peer=s1["peer"])
            between(s0["seq"], page.get("mixplane_esp_sa_sequence", **lab_), s1["seq"],
                    "SA %s %s sequence" % (s1["dir"], s1["spi"]))
            between(s0["packets"], page.get("mixplane_esp_sa_packets_total", **lab_),
                    s1["packets"], "SA %s %s packets" % (s1["dir"], s1["spi"]))
        check(page.get("mixplane_legs", mode="switch") == 2, "the MRFC's 2 legs")
        # deploy/prometheus/alerts.yml uses only metrics the page has
        with open(os.path.join(mxplab.SOURCE, "deploy", "prometheus", "alerts.yml")) as f:
            used = set(re.findall(r"\b(mixplane_[a-z0-9_]+)", f.read()))
        families = set(re.findall(r"^# TYPE (\S+) ", page.text, re.M))
        check(used and used <= families, "the %d metrics alerts.yml uses are on the page%s"
              % (len(used), "" if used <= families else " (missing: %s)" % (used - families)))
        # no secret on the page: no SA fingerprint, none of the key file's hex strings
        fps = [s["fingerprint"] for s in esp1["sas"]]
        with open(lab.mrfp_sa) as f:
            keys = [w for w in re.findall(r"[0-9a-fA-F]{16,}", f.read())]
        check(keys and not any(x.lower() in page.text.lower() for x in fps + keys),
              "no fingerprint (%s) and none of the %d key strings on the page"
              % (", ".join(fps), len(keys)))
        check(lab.stop() == 0, "clean exit")


def test():
    port = free_port()
    url = "http://127.0.0.1:%d/metrics" % port
    with Lab("metrics", extra_config="[metrics]\nlisten = 127.0.0.1:%d\n" % port) as lab:
        test_media(lab, url)
        test_requests(lab, port, url)
        test_prometheus(lab, port)
        test_bad_config(lab)
        check(lab.stop() == 0, "clean exit")
    test_mp(free_port())


mxplab.main(test)
