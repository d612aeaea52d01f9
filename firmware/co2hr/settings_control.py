# Control setpoints and limits (rows: see co2hr.settings). Append-only.
# The order between settings (p_gc_max < alarm < override < stop, receiver lo < sp < hi,
# each min below its max) is ORDER below: a write that would break it is refused.
from micropython import const

# Pressure maxima, from the plant's design limit down the HP ladder (docs/control.md,
# "The HP ladder"): the true p_gc must never pass _P_DESIGN_BAR (relief valves at 120 bar);
# after the HP stop acts p_gc rises at most _STOP_RISE_BAR more (it acts 2 s ahead, the
# compressors stop within a tick); the override sits at least _LADDER_GAP_BAR below the
# stop and p_gc_max that much below the override (the ORDER gaps below, in 0.1 bar).
_P_DESIGN_BAR = const(110)
_STOP_RISE_BAR = const(1)
_LADDER_GAP_BAR = const(1)
_P_STOP_MAX_BAR = const(_P_DESIGN_BAR - _STOP_RISE_BAR)  # 109
_P_OVR_MAX_BAR = const(_P_STOP_MAX_BAR - _LADDER_GAP_BAR)  # 108
_P_MAX_MAX_BAR = const(_P_OVR_MAX_BAR - _LADDER_GAP_BAR)  # 107: p_gc_max and every reference

CONTROL_SCHEMA = (
    #: Operating mode: 0 Off, 1 Standby, 2 Max-COP, 3 Heat recovery, 4 Manual
    ("mode_cmd", 2, 0, 4, "", 1),
    #: Maximum gas cooler pressure: the reference stays 0.4 bar below it, where a limiter starts
    #: opening the HPEV harder (3 s ahead of a rising pressure)
    ("p_gc_max_bar", 105, 60, _P_MAX_MAX_BAR, "bar", 10),
    #: Receiver pressure setpoint
    ("p_rec_sp_bar", 35, 25, 50, "bar", 10),
    # --- gas cooler pressure reference (HPEV)
    #: Minimum condensing temperature: the reference never goes below its saturation pressure
    ("t_cond_min_c", 10, 0, 20, "degC", 10),
    #: Subcooling added to T3 in subcritical operation (every 0.1 K costs ~0.4 % COP)
    ("subcool_k", 0.2, 0, 5, "K", 10),
    #: T3 where the transition zone towards the transcritical optimum begins
    ("t_trans_c", 27, 20, 29.5, "degC", 10),
    #: Pressure reference at full heat-recovery raise (demand 8 V)
    ("p_hr_max_bar", 95, 60, _P_MAX_MAX_BAR, "bar", 10),
    #: Rate limit of the pressure reference
    ("p_ref_rate_bar_s", 0.5, 0.05, 10, "bar/s", 100),
    #: Pressure reference used while T3 is invalid (no heat-recovery raise on top: forced
    #: operation stops while the regime is unknown)
    ("p_ref_fail_bar", 85, 45, _P_MAX_MAX_BAR, "bar", 10),
    # HP ladder (docs/control.md): reference <= p_gc_max - 0.4, limiter from there, alarm,
    # override, compressor stop, each above the last (ORDER)
    #: High gas cooler pressure alarm (above p_gc_max_bar, below p_hp_ovr_bar)
    ("p_hp_alarm_bar", 106, 60, _P_OVR_MAX_BAR, "bar", 10),
    #: HP override: above this the HPEV is driven open at its rate limit and the fan limits are
    #: lifted
    ("p_hp_ovr_bar", 106.5, 60, _P_OVR_MAX_BAR, "bar", 10),
    #: HP stop: above this the compressor enable is released; with the fans failed, or at full
    #: speed with the HPEV fully open, already at p_gc_max_bar - 0.2
    ("p_hp_stop_bar", 109, 60, _P_STOP_MAX_BAR, "bar", 10),
    #: HPEV PI gain
    ("hpev_kp", 2, 0, 50, "%/bar", 100),
    #: HPEV PI integral time
    ("hpev_ti_s", 20, 1, 1000, "s", 10),
    #: HPEV minimum opening in control
    ("hpev_min_pct", 5, 0, 50, "%", 10),
    #: HPEV maximum opening in control
    ("hpev_max_pct", 100, 50, 100, "%", 10),
    #: HPEV output rate limit
    ("hpev_rate_pct_s", 10, 0.5, 100, "%/s", 10),
    #: HPEV opening while p_gc is invalid; also the least opening while the compressors stand
    #: still (so a restart does not compress against a closed valve), unless p_gc is 0.5 bar
    #: below p_rec: then the HPEV is shut until p_gc is 2 bar above it (no backflow)
    ("hpev_fail_pct", 40, 0, 100, "%", 10),
    # --- receiver pressure (BEV)
    #: Receiver pressure high: alarm, BEV forced up
    ("p_rec_hi_bar", 45, 30, 60, "bar", 10),
    #: Receiver pressure low: alarm, BEV closed
    ("p_rec_lo_bar", 28, 15, 45, "bar", 10),
    #: BEV PI gain
    ("bev_kp", 3, 0, 50, "%/bar", 100),
    #: BEV PI integral time
    ("bev_ti_s", 30, 1, 1000, "s", 10),
    #: BEV output rate limit
    ("bev_rate_pct_s", 10, 0.5, 100, "%/s", 10),
    #: BEV opening while p_rec is invalid
    ("bev_fail_pct", 20, 0, 100, "%", 10),
    # --- gas cooler fans
    #: T3 setpoint above ambient
    ("fan_approach_k", 3, 0.5, 20, "K", 10),
    #: Fan minimum speed; fans restart above it
    ("fan_min_pct", 5, 0, 50, "%", 10),
    #: Fans stop when the loop asks for less than this
    ("fan_cut_pct", 2, 0, 50, "%", 10),
    #: Low-noise fan speed cap (lifted by the HP and discharge-temperature safeties)
    ("fan_cap_pct", 100, 20, 100, "%", 10),
    #: Fan PI gain
    ("fan_kp", 5, 0, 100, "%/K", 100),
    #: Fan PI integral time
    ("fan_ti_s", 60, 1, 1000, "s", 10),
    #: Fan output rate limit
    ("fan_rate_pct_s", 5, 0.5, 100, "%/s", 10),
    #: Discharge temperature high: alarm, fan cap lifted
    ("t_disch_max_c", 130, 80, 160, "degC", 10),
    # --- heat recovery
    #: HR water outlet setpoint (3-way valve)
    ("t_w_out_sp_c", 60, 20, 90, "degC", 10),
    #: HR water over-temperature: the HRHX is bypassed (3-way valve to 0) with alarm
    ("t_w_max_c", 90, 50, 98, "degC", 10),
    #: CO2 into the HRHX must be this much warmer than the water (no backwards heat)
    ("hr_dt_min_k", 3, 0, 30, "K", 10),
    #: HR 3-way valve PI gain
    ("hrv_kp", 3, 0, 50, "%/K", 100),
    #: HR 3-way valve PI integral time
    ("hrv_ti_s", 60, 1, 1000, "s", 10),
    #: HR 3-way valve rate limit
    ("hrv_rate_pct_s", 5, 0.5, 100, "%/s", 10),
    #: HR pump speed while recovering
    ("hr_pump_run_pct", 80, 10, 100, "%", 10),
    #: HR water flow at 100 % pump speed (for the recovered-heat estimate)
    ("hr_flow_kg_s", 1, 0, 100, "kg/s", 100),
    # --- modes, signals, compressor
    #: Manual output values fall back to auto after
    ("manual_timeout_s", 1800, 10, 28800, "s", 1),
    #: An analog input unchanged this long is invalid (stuck); 0 = check off
    ("sensor_stuck_s", 0, 0, 30000, "s", 1),
    #: Pressure input filter time constant
    ("filt_p_s", 1, 0, 60, "s", 10),
    #: Temperature and demand input filter time constant
    ("filt_t_s", 2, 0, 60, "s", 10),
    #: Compressor enable returns this long after the HP stop cleared
    ("comp_restart_s", 60, 0, 3600, "s", 1),
    #: Low-ambient GC bypass: opens when the receiver pressure stays this far below its setpoint
    #: with the BEV shut, the fans stopped and the plant subcritical; closes 1 bar below the
    #: setpoint (0 = off)
    ("gcb_rec_dp_bar", 3, 0, 20, "bar", 10),
    #: Low-ambient GC bypass: the opening conditions must hold this long (also the least
    #: time between two openings)
    ("gcb_rec_delay_s", 60, 0, 3600, "s", 1),
    #: HPEV re-homing: once the valve stands closed (asked for 0 %) and its last homing is
    #: this old, it is driven its overdrive further closed against the stop and counts from 0
    #: again, so lost steps cannot add up (0 = homing at power-up only)
    ("hpev_rehome_h", 24, 0, 720, "h", 1),
    # --- clock (co2hr.clock: the calendar's local time)
    #: Local standard time minus UTC (60: Denmark, CET); the clock itself keeps UTC
    ("tz_offset_min", 60, -720, 840, "min", 1),
    #: 1: EU summer time, one hour more from the last Sunday of March to the last Sunday of
    #: October (01:00 UTC each); 0: the local time is standard time all year
    ("tz_summer_time", 1, 0, 1, "", 1),
    # --- calibration offsets (co2hr.signals): added to the converted value of each analog
    # sensor before its range, rate and stuck checks, to match a reference instrument
    #: Calibration offset of the gas cooler pressure p_gc_bar (added to the transmitter's value)
    ("cal_p_gc_bar", 0, -2, 2, "bar", 100),
    #: Calibration offset of the receiver pressure p_rec_bar
    ("cal_p_rec_bar", 0, -2, 2, "bar", 100),
    #: Calibration offset of the suction pressure p_suc_bar
    ("cal_p_suc_bar", 0, -2, 2, "bar", 100),
    #: Calibration offset of the gas cooler outlet temperature t_gc_out_c (T3)
    ("cal_t_gc_out_k", 0, -5, 5, "K", 100),
    #: Calibration offset of the ambient temperature t_amb_c
    ("cal_t_amb_k", 0, -5, 5, "K", 100),
    #: Calibration offset of the discharge temperature t_disch_c
    ("cal_t_disch_k", 0, -5, 5, "K", 100),
    #: Calibration offset of the HR water inlet temperature t_w_in_c
    ("cal_t_w_in_k", 0, -5, 5, "K", 100),
    #: Calibration offset of the HR water outlet temperature t_w_out_c
    ("cal_t_w_out_k", 0, -5, 5, "K", 100),
    #: Calibration offset of the HR tank temperature t_tank_c
    ("cal_t_tank_k", 0, -5, 5, "K", 100),
    # --- heat recovery: forcing only while it recovers heat, pump sequencing
    #: A pressure raise started while the HRHX takes no heat (water below its setpoint) is
    #: dropped when no heat is taken within this time (it counts as forced operation)
    ("hr_proof_s", 300, 0, 3600, "s", 1),
    #: A raise dropped for want of heat is tried again after this time (or when the demand
    #: moves by 1 V)
    ("hr_retry_s", 1800, 0, 28800, "s", 1),
    #: The HR pump runs on this long after the 3-way valve has closed
    ("hr_pump_post_s", 60, 0, 3600, "s", 1),
    #: Where the HR demand comes from: 0 the 0-10 V input, 1 the tank temperature against
    #: t_tank_sp_c (a PI making the same 0-10 V scale), 2 the BMS over Modbus (bms_demand_v)
    ("hr_demand_src", 0, 0, 2, "", 1),
    #: Tank temperature setpoint (hr_demand_src 1)
    ("t_tank_sp_c", 55, 20, 90, "degC", 10),
    #: Tank demand PI gain (hr_demand_src 1)
    ("hr_tank_kp", 1, 0, 20, "V/K", 100),
    #: Tank demand PI integral time (hr_demand_src 1)
    ("hr_tank_ti_s", 600, 10, 7200, "s", 1),
    #: A BMS demand not written again within this time is invalid: heat recovery off
    #: (hr_demand_src 2)
    ("hr_bms_timeout_s", 300, 10, 3600, "s", 1),
    # --- heat meter on the recovered heat (S0 input heat_pulses; docs/control.md)
    #: Heat meter pulse value; 0 = no meter: the recovered heat is the estimate. Set, the
    #: metered heat is booked (hr_refrig_wh, hr_forced_wh) and the estimate kept beside it
    ("hr_meter_wh_per_pulse", 0, 0, 10000, "Wh", 1),
    #: Heat meter plausibility: alarm heat_meter when metered and estimated heat over a
    #: window differ by more than this share of the estimate (plus one pulse)
    ("hr_meter_dev_pct", 25, 1, 100, "%", 1),
    #: Heat meter plausibility window
    ("hr_meter_window_s", 900, 60, 7200, "s", 1),
    #: Heat meter: a window is judged only when this much heat flows on average (metered
    #: or estimated); with the estimate at this much over a window and no pulse the meter
    #: counts as failed (the estimate is booked)
    ("hr_meter_min_kw", 2, 0.1, 100, "kW", 10),
    # --- start and restart sequence, deviation alarms, alarm relay (docs/control.md)
    #: After boot, a power return, an HP stop or mode Off/Standby the compressor enable is
    #: held off this long while the HPEV homes and moves to hpev_start_pct
    ("comp_start_delay_s", 20, 0, 600, "s", 1),
    #: HPEV opening the valve reaches before the compressors are released (start sequence)
    ("hpev_start_pct", 40, 5, 100, "%", 10),
    #: Deviation alarm dev_p_gc: p_gc this far from its reference (automatic control, running)
    ("dev_p_gc_bar", 5, 1, 50, "bar", 10),
    #: Deviation alarm dev_p_rec: p_rec this far from p_rec_sp_bar
    ("dev_p_rec_bar", 5, 1, 30, "bar", 10),
    #: Deviation alarm dev_t_w_out: HR water outlet this far from t_w_out_sp_c
    ("dev_t_w_out_k", 10, 1, 50, "K", 10),
    #: A deviation must last this long (counted while the loop runs in automatic control)
    ("dev_delay_s", 120, 0, 3600, "s", 1),
    #: Common alarm relay: bit n-1 set = an active, unacknowledged alarm of priority n
    #: switches it (default 3: priorities 1 critical and 2 alarm)
    ("alarm_relay_mask", 3, 0, 15, "", 1),
    #: A pressure transmitter unchanged this long is invalid (stuck; a live transmitter
    #: always moves by its noise); 0 = sensor_stuck_s applies
    ("p_stuck_s", 30, 0, 3600, "s", 1),
)

# Schema indices of the ordered settings (a test checks each against its row's name).
_P_GC_MAX_BAR = const(1)
_P_REC_SP_BAR = const(2)
_P_HP_ALARM_BAR = const(9)
_P_HP_OVR_BAR = const(10)
_P_HP_STOP_BAR = const(11)
_HPEV_MIN_PCT = const(14)
_HPEV_MAX_PCT = const(15)
_P_REC_HI_BAR = const(18)
_P_REC_LO_BAR = const(19)
_FAN_MIN_PCT = const(25)
_FAN_CUT_PCT = const(26)
_FAN_CAP_PCT = const(27)
_T_W_OUT_SP_C = const(32)
_T_W_MAX_C = const(33)
_STRICT = const(1)  # one register step: strictly above
_LADDER_GAP = const(_LADDER_GAP_BAR * 10)  # in the ladder's 0.1 bar steps
_REC_GAP = const(10)  # 1 bar (0.1 bar steps): a limit that never sits on the setpoint
_W_GAP = const(50)  # 5 K (0.1 K steps): the over-temperature bypass ends 5 K below t_w_max
# (co2hr.hr_staging), so a setpoint closer to it would bypass the HRHX at every approach

# The order between settings, declared once: (lower, upper, least gap) triples, flat:
# round(upper x scale) - round(lower x scale) >= gap, in register steps (the two share
# their scale). Writes, a block written at once and the stored copy are checked against
# it (co2hr.settings); the register map shows each one (tools/gen_registers_doc.py).
ORDER = (
    _P_GC_MAX_BAR, _P_HP_ALARM_BAR, _STRICT,
    _P_HP_ALARM_BAR, _P_HP_OVR_BAR, _STRICT,
    _P_GC_MAX_BAR, _P_HP_OVR_BAR, _LADDER_GAP,
    _P_HP_OVR_BAR, _P_HP_STOP_BAR, _LADDER_GAP,
    _P_REC_LO_BAR, _P_REC_SP_BAR, _REC_GAP,
    _P_REC_SP_BAR, _P_REC_HI_BAR, _REC_GAP,
    _HPEV_MIN_PCT, _HPEV_MAX_PCT, _STRICT,
    _FAN_CUT_PCT, _FAN_MIN_PCT, 0,
    _FAN_MIN_PCT, _FAN_CAP_PCT, 0,
    _T_W_OUT_SP_C, _T_W_MAX_C, _W_GAP,
)
