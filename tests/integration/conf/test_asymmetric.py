"""Asymmetric endpoints: a leg created `asymmetric` takes authenticated media from any source
port (the participant sends from another port than the one it receives on) and keeps sending
to its configured address; a default (symmetric, RFC 4961) leg in the same situation latches
to the source. Contradictory options are refused with a reason and change nothing."""
import mxplab
from mxplab import check, Lab, DAEMON_IP4, KERNEL_IP4, gen_key

N = 20


def test():
    with Lab("asym") as lab:
        conf = lab.conf_create()
        legs = {}
        for name, port, extra in (("asym", 5500, ["asymmetric"]), ("sym", 5510, []),
                                  ("other", 5520, [])):
            k_in, k_out = gen_key(), gen_key()
            legs[name] = dict(port=port, k_in=k_in, k_out=k_out,
                              leg=lab.leg_add(conf, k_in, k_out, (KERNEL_IP4, port), *extra))
        L = legs
        check(L["asym"]["leg"]["asymmetric"] and not L["sym"]["leg"]["asymmetric"],
              "leg add ... asymmetric: the leg is asymmetric, the default is not")
        # asym and sym send from port + 7 and receive on port; other sends normally
        tx = [(L[n]["port"] + (7 if n != "other" else 0), DAEMON_IP4, L[n]["leg"]["local_port"],
               L[n]["k_in"], 0x900 + i, i + 1) for i, n in enumerate(("asym", "sym", "other"))]
        res = lab.peer(KERNEL_IP4, rx=[(L[n]["port"], L[n]["k_out"]) for n in L], tx=tx, count=N,
                       wait_ms=400)
        rx = {n: res["rx"][str(L[n]["port"])]["from"] for n in L}
        check(rx["other"].get("1") == N,
              "media sent from another port than the asymmetric leg receives on is taken (%s)"
              % rx["other"])
        check(rx["asym"] == {"2": N, "3": N},
              "the asymmetric participant still receives on its own port %d (%s)"
              % (L["asym"]["port"], rx["asym"]))
        a = lab.ctl_json("show", "leg", str(L["asym"]["leg"]["id"]))
        check(a["remote_port"] == L["asym"]["port"] and a["latches"] == 0 and a["rx_packets"] == N
              and a["refused"] == 0,
              "asymmetric leg: remote stays %s:%d, %d latches, %d packets taken"
              % (a["remote"], a["remote_port"], a["latches"], a["rx_packets"]))
        s = lab.ctl_json("show", "leg", str(L["sym"]["leg"]["id"]))
        check(s["remote_port"] == L["sym"]["port"] + 7 and s["latches"] == 1,
              "symmetric leg (default): latched to the source port %d (RFC 4961)"
              % s["remote_port"])
        check(" asymmetric" in lab.ctl("show", "leg", str(L["asym"]["leg"]["id"])).stdout,
              "show leg names the asymmetric leg")

        # contradictions: refused, with a reason, nothing changed
        n_legs = len(lab.ctl_json("show", "conference", str(conf))["legs"])
        keys = "in %s\nout %s\n" % (mxplab.crypto_line(gen_key()), mxplab.crypto_line(gen_key()))
        r = lab.ctl_input(keys, "leg", "add", str(conf), "remote", KERNEL_IP4, "5530", "strict",
                          "asymmetric", check_rc=False)
        check(r.returncode != 0 and "strict and asymmetric" in r.stderr,
              "leg add strict asymmetric refused: %s" % r.stderr.strip())
        r = lab.ctl_input(keys, "leg", "add", str(conf), "asymmetric", check_rc=False)
        check(r.returncode != 0 and "remote address" in r.stderr,
              "leg add asymmetric without a remote refused: %s" % r.stderr.strip())
        check(len(lab.ctl_json("show", "conference", str(conf))["legs"]) == n_legs,
              "refused legs changed nothing")
        aid = str(L["asym"]["leg"]["id"])
        r = lab.ctl("leg", "set", aid, "strict", "on", check_rc=False)
        check(r.returncode != 0 and "strict and asymmetric" in r.stderr,
              "leg set strict on an asymmetric leg refused: %s" % r.stderr.strip())
        lab.ctl("leg", "set", aid, "asymmetric", "off")
        lab.ctl("leg", "set", str(L["sym"]["leg"]["id"]), "asymmetric", "on")
        a = lab.ctl_json("show", "leg", aid)
        s = lab.ctl_json("show", "leg", str(L["sym"]["leg"]["id"]))
        check(not a["asymmetric"] and s["asymmetric"] and not a["strict"],
              "leg set asymmetric off / on")
        check(lab.stop() == 0, "clean exit")


mxplab.main(test)
