# Control law composition. Placeholder until the full control package lands:
# proportional laws that make each output follow its input.
from co2hr.io import AI_P_GC, AI_T_AMB, AI_T_GC_OUT, AO_FAN, AO_HPEV, N_OUT, SAFE_OUTPUTS
from co2hr.signals import Signals


def _clamp(x, lo, hi):
    return lo if x < lo else hi if x > hi else x


class Controller:
    def __init__(self, board):
        self.sig = Signals(board.get("inputs", {}))

    def step(self, now_ms, raw, ok, out):
        sig = self.sig
        sig.update(raw, ok)
        v = sig.value
        ok_ = sig.valid
        for i in range(N_OUT):
            out[i] = SAFE_OUTPUTS[i]
        if ok_[AI_P_GC]:
            out[AO_HPEV] = _clamp(30.0 + 4.0 * (v[AI_P_GC] - 90.0), 0.0, 100.0)
        if ok_[AI_T_GC_OUT] and ok_[AI_T_AMB]:
            out[AO_FAN] = _clamp(10.0 * (v[AI_T_GC_OUT] - v[AI_T_AMB] - 3.0), 0.0, 100.0)
