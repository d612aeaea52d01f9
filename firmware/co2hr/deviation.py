# Deviation alarms: a loop in automatic control whose controlled value stays far from its
# reference shows a fault the loop cannot see (a stuck valve, a broken actuator cable, a
# wrong charge, a transmitter reading wrong):
#   dev_p_gc     p_gc vs its reference, band dev_p_gc_bar (HPEV loop)
#   dev_p_rec    p_rec vs p_rec_sp_bar, band dev_p_rec_bar (BEV loop)
#   dev_t_w_out  HR water outlet vs t_w_out_sp_c, band dev_t_w_out_k (3-way valve loop)
# Each is counted only while its loop controls: compressors running, past the start
# sequence and _SETTLE_MS into every run (the pressures are still building after a start,
# so a loop cannot be judged yet), the loop's output not manual, no fallback (sensor
# invalid, T3 substituted), no protection over the loop (HP override, receiver limits,
# water bypass). The water loop is judged only once its PI has spent its output against
# the error (the 3-way valve all through the HRHX, or shut), and at capacity (all through
# the HRHX and the water warming across it, but the discharge heat too little for the
# setpoint) it counts as inside its band: a valve stuck shut warms no water, so it is
# still seen. The receiver loop likewise, below its setpoint with the BEV shut while T3
# is within _FLASH_MIN_K of the saturation temperature at p_rec_sp: the gas cooler
# delivers liquid too cold to flash, so nothing lifts p_rec but time (the GC bypass
# closing into a cold coil at freezing ambient); a BEV stuck open at a warmer T3 is
# still seen. The gas cooler pressure loop likewise for _SETTLE_MS after the GC bypass
# output changed (the coil enters or leaves the path: the pressures move as after a
# start), and while its output is spent against
# the error (the HPEV at its closing limit below the band, at its opening limit above
# it) with p_gc moving back towards the band by _BACK_BAR in a _BACK_MS window: the valve
# has acted and the plant is rebuilding the pressure (the GC bypass closing into a cold
# coil at freezing ambient: the coil's cold liquid drains through the HPEV, p_gc falls
# until the valve has closed, and the compressors build it again); a stuck valve leaves
# p_gc where it is and is still seen. While a loop
# does not control its count is frozen: an HP stop in the middle of a stuck-valve run
# does not start it again, nor does the pass through the reference at each start of a
# pack that cycles on its thermostat. When the value is back inside the band it is reset.
# The alarm is raised after dev_delay_s of counted deviation. Counts are integer ms and
# the band edges are made when the setpoint moves, so a tick allocates nothing here.
from micropython import const

from co2hr import alarms as A
from co2hr.co2sat import t_sat_c
from co2hr.gc_bypass import BEV_SHUT_PCT
from co2hr.hr_staging import VALVE_FULL_PCT
from co2hr.io import AI_P_GC, AI_P_REC, AI_T_GC_OUT, AI_T_W_OUT, AO_BEV, AO_HPEV, AO_HR_VALVE

_SETTLE_MS = const(60000)  # after a compressor start: the pressures build (docs/control.md)
_FLASH_MIN_K = const(5)  # T3 this close to t_sat(p_rec_sp): too little flash gas (header)
_BACK_MS = const(20000)  # window of the p_gc recovery test (header)
_BACK_BAR = 0.5  # p_gc back towards its band by this in a window: recovering
_SPENT_PCT = 0.5  # the HPEV output this close to a PI limit: spent


class Deviation:
    def __init__(self):
        self.band_p_gc = 5.0  # from the settings (configure())
        self.band_p_rec = 5.0
        self.band_t_w = 10.0
        self.delay_ms = 120000
        self.ms = [0, 0, 0]  # counted deviation of each alarm, ms
        self.run_ms = 0  # how long the compressors have run, up to _SETTLE_MS
        self.sp = [None, None, None]  # the setpoint each pair of band edges was made for
        self.lo = [0.0, 0.0, 0.0]
        self.hi = [0.0, 0.0, 0.0]
        self._flash_sp = None  # the p_rec setpoint _t3_flash was made for
        self._t3_flash = 0.0  # t_sat(p_rec_sp) + _FLASH_MIN_K
        self._win_ms = 0  # into the recovery window
        self._p_mark = -1.0  # p_gc at the window's start (< 0: none)
        self.back = 0  # p_gc recovering with the HPEV spent (header)
        self.byp_ms = _SETTLE_MS  # since the GC bypass output last changed, up to it
        self._byp = -1.0  # the GC bypass output the last tick saw

    def configure(self, s):
        self.band_p_gc = s.get("dev_p_gc_bar")
        self.band_p_rec = s.get("dev_p_rec_bar")
        self.band_t_w = s.get("dev_t_w_out_k")
        self.delay_ms = int(s.get("dev_delay_s")) * 1000
        self.sp = [None, None, None]  # bands changed: make the edges again

    def _count(self, k, ctl, value, sp, band, dt_ms):
        """Alarm k's count: frozen while not ctl, reset while value is within band of sp."""
        if not ctl:
            return
        if sp != self.sp[k]:  # (float work only when the setpoint moved)
            self.sp[k] = sp
            self.lo[k] = sp - band
            self.hi[k] = sp + band
        if value > self.hi[k] or value < self.lo[k]:
            self.ms[k] += dt_ms
        else:
            self.ms[k] = 0

    def _water(self, hr, t_w_out_c, dt_ms):
        """The 3-way valve loop in control: counted only once its PI has spent its output
        against the error (a valve that does not follow ends there; while the output still
        travels the loop is acting); spent open with the water warming across the HRHX is
        capacity, not a fault: as inside the band."""
        cold = t_w_out_c < hr.w_sp
        spent = hr.valve >= VALVE_FULL_PCT if cold else hr.valve <= 0.0
        if cold and spent and hr.warm:
            self.ms[2] = 0
        else:
            self._count(2, True, t_w_out_c, hr.w_sp, self.band_t_w, dt_ms if spent else 0)

    def _recovering(self, gc, p_gc_bar, dt_ms):
        """Every _BACK_MS: was p_gc, outside its band with the HPEV spent against the
        error, moving back towards it by _BACK_BAR? (see the header)"""
        self._win_ms += dt_ms
        if self._win_ms < _BACK_MS:
            return self.back
        mark = self._p_mark
        lo_spent = gc.out <= gc.pi.lo + _SPENT_PCT
        hi_spent = gc.out >= gc.pi.hi - _SPENT_PCT
        self.back = int(mark >= 0.0 and (
            (lo_spent and p_gc_bar < self.lo[0] and p_gc_bar - mark >= _BACK_BAR)
            or (hi_spent and p_gc_bar > self.hi[0] and mark - p_gc_bar >= _BACK_BAR)))
        self._p_mark = p_gc_bar
        self._win_ms = 0
        return self.back

    def _p_gc(self, gc, byp, ctl, p_gc_bar, dt_ms):
        """The HPEV loop's count (frozen after a GC bypass change and while p_gc
        recovers with the HPEV spent)."""
        if byp != self._byp:
            self._byp = byp
            self.byp_ms = 0
        self.byp_ms = min(self.byp_ms + dt_ms, _SETTLE_MS)
        if self.byp_ms < _SETTLE_MS:
            dt_ms = 0
        if not ctl:
            self._p_mark = -1.0
            self._win_ms = 0
            self.back = 0
        elif self._recovering(gc, p_gc_bar, dt_ms):
            dt_ms = 0
        self._count(0, ctl, p_gc_bar, gc.ref, self.band_p_gc, dt_ms)

    def _starved(self, rec, v, ok):
        """The receiver below its setpoint with the BEV shut and T3 too cold to flash
        (see the header): the plant's capacity, not a fault of the loop."""
        if rec.sp != self._flash_sp:  # (float work only when the setpoint moved)
            self._flash_sp = rec.sp
            self._t3_flash = t_sat_c(rec.sp) + _FLASH_MIN_K
        return (rec.out <= BEV_SHUT_PCT and v[AI_P_REC] < rec.sp and ok[AI_T_GC_OUT]
                and v[AI_T_GC_OUT] < self._t3_flash)

    def step(self, c, running, dt_ms, now_s):
        """c: the controller (its loops, signals and modes after this tick's loops);
        running: the compressors run and the start sequence is over."""
        self.run_ms = min(self.run_ms + dt_ms, _SETTLE_MS) if running else 0
        running = self.run_ms >= _SETTLE_MS
        sig = c.sig
        v = sig.value
        ok = sig.valid
        gc = c.gc
        rec = c.rec
        hr = c.hr
        man = c.modes.manual
        ctl = (running and ok[AI_P_GC] and not gc.t3_fallback and not gc.override
               and not gc.comp_stop and not gc.no_back and not man(AO_HPEV))
        self._p_gc(gc, c.byp.out, ctl, v[AI_P_GC], dt_ms)
        ctl = running and ok[AI_P_REC] and not rec.fallback and not rec.limit and not man(AO_BEV)
        if ctl and self._starved(rec, v, ok):
            self.ms[1] = 0
        else:
            self._count(1, ctl, v[AI_P_REC], rec.sp, self.band_p_rec, dt_ms)
        if hr.w_auto and ok[AI_T_W_OUT] and not man(AO_HR_VALVE):
            self._water(hr, v[AI_T_W_OUT], dt_ms)
        al = c.alarms
        d = self.delay_ms
        ms = self.ms
        al.set(A.A_DEV_P_GC, ms[0] >= d and ms[0] > 0, now_s)
        al.set(A.A_DEV_P_REC, ms[1] >= d and ms[1] > 0, now_s)
        al.set(A.A_DEV_T_W_OUT, ms[2] >= d and ms[2] > 0, now_s)
