"""A rekey in a mix conference: mixgen gives every leg new keys both ways (MKI 2) through the
lab CLI and activates the daemon's new outbound key; the daemon's mix streams (the shared mix
of the new key group and each talker's private mix) must then go out under MKI 2."""
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
