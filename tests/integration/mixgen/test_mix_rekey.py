"""Known issue (suite known-issues): a rekey in a mix conference. mixgen gives every leg new
keys both ways (MKI 2) through the lab CLI and activates the daemon's new outbound key; in
switch mode the daemon then protects with it (test_memif.py). In mix mode the mixed streams
stayed under MKI 1 even after the old key was removed from the legs (2026-11-28): this test
fails until the daemon moves its mix streams to the activated key."""
import mglab
import mxplab
from mxplab import check


def test():
    mglab.need_hugepages()
    with mglab.MemifLab("mixgen-mix-rekey") as lab:
        for keys in ("individual", "group"):
            r = lab.mixgen("--mode", "mix", "--participants", "4", "--keys", keys,
                           "--duration", "3", "--rekey-at", "1.5")
            rk = r.check("rekey")
            check(r.rc == 0 and rk and rk["pass"],
                  "mix, %s keys: after the rekey the receivers get the new key: %s %s"
                  % (keys, rk and rk["detail"], r.failed_checks()))
        lab.stop()


mxplab.main(test)
