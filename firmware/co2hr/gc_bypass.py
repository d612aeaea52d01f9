# Gas cooler bypass valve (output gc_bypass, on/off): every rule that opens or closes it.
# docs/control.md ("GC bypass") explains both purposes and their numbers.
#
# The valve sends the compressor discharge around the air-cooled gas cooler. Two rules
# may open it:
# 1. Full heat recovery (`hr_want`): the demand asks for it (HR stage 4: rising past
#    9.6 V, released falling past 9.3 V, co2hr.hr_staging `bypass`) and the HRHX really
#    takes the heat (co2hr.hr_staging `sink`): with no heat sink the gas cooler must stay
#    in the path, whatever the demand says.
# 2. Low ambient, receiver pressure (`rec_open`): at very low ambient even a gas cooler
#    with its fans stopped delivers liquid at ambient; the receiver it feeds condenses
#    its flash gas and p_rec falls with the BEV shut, until the suction side, equalising
#    with it while the pack stands, stays below the pack's cut-in and the pack never
#    restarts. Bypassing the coil sends discharge gas through the HPEV instead, whose
#    flash gas lifts p_rec. It opens when, for gcb_rec_delay_s without a break: the
#    plant is subcritical with the reference at its floor p_sat(t_cond_min) (no HR
#    raise), the fans stand (the coil is already at its least capacity), the BEV is shut
#    (at most BEV_SHUT_PCT: it is not venting what the receiver has) and p_rec is more
#    than gcb_rec_dp_bar below its setpoint. It closes when p_rec is back above
#    p_rec_sp - CLOSE_BELOW_SP_BAR, when p_rec is invalid, when the rule is off
#    (gcb_rec_dp_bar = 0), or when it is blocked: compressors standing still, HP
#    override or HP stop, the HP fan safety, or p_gc more than _RUNAWAY_ABOVE_REF_BAR
#    above its reference. The bypass is on/off and the coil holds no heat sink while it
#    is open, so it works in bursts; the delay (restarted at every close) keeps them
#    apart.
# Closing, whatever opened it: the HP fan safety (co2hr.fans `safety`) closes the valve;
# the HR rule then stays shut (`hr_block`) until the demand falls past 9.3 V, since
# reopening as soon as the fans pulled p_gc down would make the valve hunt. In Manual
# mode a manual value (man_gc_bypass) takes the valve instead (the output stage,
# co2hr.controller).
#
# What the other loops do about it (each asks this object):
#   `hr_open` (rule 1, not blocked): the pressure reference stays at p_hr_max
#       (co2hr.gc_pressure); the output being open keeps the 3-way valve fully through
#       the HRHX, the only heat sink left (co2hr.hr_staging).
#   `hold` (rule 2 open, or closed less than HOLD_S ago: the valve strokes ~20 s and the
#       coil outlet mixes until it is shut): T3 is then bypassed gas, so the reference
#       and the regime stay at the subcritical floor (co2hr.gc_pressure), the fans stay
#       stopped (co2hr.fans), and a T3 rate fault is the process, not a sensor alarm
#       (co2hr.controller).
from micropython import const

from co2hr.gc_pressure import REG_SUB
from co2hr.io import AI_P_REC, AO_BEV, AO_FAN

HOLD_S = 30.0
CLOSE_BELOW_SP_BAR = 1.0  # rule 2 closes when p_rec is back within this of its setpoint
BEV_SHUT_PCT = 0.5  # BEV counted as shut at or below this opening
_RUNAWAY_ABOVE_REF_BAR = const(10)  # rule 2 closes when p_gc is this far above its ref


class GcBypass:
    def __init__(self):
        self.dp = 0.0  # gcb_rec_dp_bar (0: rule 2 off); from the settings (configure())
        self.delay = 0.0
        self.p_on = 0.0  # rule 2 arms below p_rec_sp - dp
        self.p_off = 0.0  # and closes above p_rec_sp - CLOSE_BELOW_SP_BAR
        self.hr_want = 0  # rule 1: the demand asks for it and the HRHX takes the heat
        self.hr_block = 0  # rule 1 held shut after the HP fan safety closed it
        self.hr_open = 0  # rule 1 and not blocked (what the reference sees)
        self.rec_open = 0  # rule 2 holds it open
        self.hold = 0  # rule 2 open, or closed less than HOLD_S ago
        self.out = 0.0  # the valve (0/1) as decided here, before a manual value
        self._t_hold = 0.0  # hold ends at this time after a close
        self._armed = 0  # rule 2's opening conditions hold, since _t_open - delay
        self._t_open = 0.0  # it opens at this time if they keep holding
        self._ref = -1.0  # reference _p_runaway was made for
        self._p_runaway = 0.0  # ref + _RUNAWAY_ABOVE_REF_BAR

    def configure(self, s, p_rec_sp):
        self.dp = s.get("gcb_rec_dp_bar")
        self.delay = s.get("gcb_rec_delay_s")
        self.p_on = p_rec_sp - self.dp
        self.p_off = p_rec_sp - CLOSE_BELOW_SP_BAR

    def request(self, hr):
        """Rule 1 for this tick, after the HR staging and 3-way valve (hr). Returns
        hr_open (the block as the last tick left it)."""
        self.hr_want = hr.bypass if hr.sink else 0
        self.hr_open = self.hr_want and not self.hr_block
        return self.hr_open

    def step(self, sig, prev, hr, gc, fans, still, now_s):
        """The valve for this tick (self.out), after the loops: sig (p_rec), prev (the
        outputs of the last tick: BEV and fans), hr (the demand's request), gc (regime,
        reference, HP override and stop, p_prot), fans (the HP fan safety), still (the
        compressors stand still)."""
        safety = fans.safety
        if self.hr_want and safety:
            self.hr_block = 1
        elif not hr.bypass:
            self.hr_block = 0
        if gc.ref != self._ref:  # (a float only when the reference moved)
            self._ref = gc.ref
            self._p_runaway = gc.ref + _RUNAWAY_ABOVE_REF_BAR
        blocked = (still or gc.override or gc.comp_stop or safety
                   or gc.p_prot > self._p_runaway)
        # rule 2 (see the header)
        was = self.rec_open
        p_rec = sig.value[AI_P_REC]
        if self.dp <= 0 or not sig.valid[AI_P_REC] or blocked:
            self.rec_open = 0
            self._armed = 0
        elif self.rec_open:
            if p_rec > self.p_off:
                self.rec_open = 0
                self._armed = 0
        elif (gc.regime == REG_SUB and gc.ref <= gc.p_min and prev[AO_FAN] <= 0.0
              and prev[AO_BEV] <= BEV_SHUT_PCT and p_rec < self.p_on):
            if not self._armed:
                self._armed = 1
                self._t_open = now_s + self.delay  # (a float on this edge only)
            elif now_s >= self._t_open:
                self.rec_open = 1
        else:
            self._armed = 0
        if was and not self.rec_open:
            self._t_hold = now_s + HOLD_S  # (a float on this edge only)
        self.hold = 1 if (self.rec_open or (self._t_hold > 0.0 and now_s < self._t_hold)) else 0
        self.out = 1.0 if (((self.hr_want and not self.hr_block) or self.rec_open)
                           and not safety) else 0.0
        return self.out
