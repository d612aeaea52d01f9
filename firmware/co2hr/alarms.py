# Alarm table and state. Row: (code, name, text, priority, delay_s, hyst, latched)
#   priority 1 = critical (stops/overrides), 2 = alarm, 3 = warning, 4 = information
#   delay_s: the cause must persist this long before the alarm activates
#   hyst: for limit alarms, how far back inside the limit the value must come to clear
#         (whole numbers as ints: a float constant costs 16 B of heap on the board)
#   latched: stays active after the cause clears until acknowledged
# Rows are append-only: the index is the alarm's bit in the registers.
# Above each row, `#: cause:` and `#: action:` comments (more `#:` lines continue them)
# say what likely caused it and what the technician does: host-only (rig.regs.fwdoc reads
# them for docs/alarms.md and `rig alarms`), no text on the board.
# The common alarm relay is on while an alarm of a priority in the setting alarm_relay_mask
# (bit n-1 = priority n; default priorities 1-2) is active and unacknowledged.
from micropython import const

from co2hr.io import (
    AI_DEMAND,
    AI_P_GC,
    AI_P_REC,
    AI_P_SUC,
    AI_T_AMB,
    AI_T_COIL,
    AI_T_DISCH,
    AI_T_GC_OUT,
    AI_T_TANK,
    AI_T_W_IN,
    AI_T_W_OUT,
)

A_HP_HIGH = const(0)
A_HP_SWITCH = const(1)
A_HP_OVERRIDE = const(2)
A_HP_STOP = const(3)
A_P_GC_SENSOR = const(4)
A_P_REC_SENSOR = const(5)
A_P_SUC_SENSOR = const(6)
A_T3_SENSOR = const(7)
A_T_AMB_SENSOR = const(8)
A_T_DISCH_SENSOR = const(9)
A_T_W_IN_SENSOR = const(10)
A_T_W_OUT_SENSOR = const(11)
A_T_TANK_SENSOR = const(12)
A_DEMAND_SENSOR = const(13)
A_P_REC_HIGH = const(14)
A_P_REC_LOW = const(15)
A_W_HOT = const(16)
A_T_DISCH_HIGH = const(17)
A_FAN_FAIL = const(18)
A_MANUAL = const(19)
A_NO_BACKHEAT = const(20)
A_DI_FAULT = const(21)
A_STORAGE = const(22)
A_MAN_IDLE = const(25)
A_HEAT_METER = const(26)
A_DEV_P_GC = const(27)
A_DEV_P_REC = const(28)
A_DEV_T_W_OUT = const(29)
A_MODE_OFF = const(30)
A_P_GC_IMPLAUSIBLE = const(31)
A_P_GC_BLIND_STOP = const(32)
A_P_REC_IMPLAUSIBLE = const(33)
A_HPEV_BLOCKED = const(34)
A_T_COIL_SENSOR = const(35)  # the heat pump's own, from here (co2hr.hp_controller)
A_DF_TIMEOUT = const(36)
A_SUPPLY_SHORT = const(37)
A_RETURN_HIGH = const(38)

# (input, its alarm): the sensor alarm of each analog input, active while the input is
# wired (its board file lists it) and invalid. Each application's controller sets them;
# an input its board does not have never raises its alarm. A board reads the pairs as
# two bytes columns (SENSOR_INPUT, SENSOR_ALARM below).
SENSOR_ALARMS = (  # build: host-only
    (AI_P_GC, A_P_GC_SENSOR),
    (AI_P_REC, A_P_REC_SENSOR),
    (AI_P_SUC, A_P_SUC_SENSOR),
    (AI_T_GC_OUT, A_T3_SENSOR),
    (AI_T_AMB, A_T_AMB_SENSOR),
    (AI_T_DISCH, A_T_DISCH_SENSOR),
    (AI_T_W_IN, A_T_W_IN_SENSOR),
    (AI_T_W_OUT, A_T_W_OUT_SENSOR),
    (AI_T_TANK, A_T_TANK_SENSOR),
    (AI_DEMAND, A_DEMAND_SENSOR),
    (AI_T_COIL, A_T_COIL_SENSOR),
)

ALARMS = (  # build: host-only
    #: cause: The gas cooler pressure stayed above p_hp_alarm_bar for 5 s: the heat is not
    #:   rejected (fans failed, capped or slow, the gas cooler coil fouled or blocked, a very
    #:   hot ambient), the HPEV does not open (stuck, frozen, undersized), too much charge on
    #:   the high side, or forced heat recovery with no water flowing through the HRHX.
    #: action: Compare p_gc_bar with a gauge at the gas cooler. Check that the fans run
    #:   (fan_pct, fan_ok) and the coil is clean and free, that the HPEV follows hpev_pct,
    #:   that the HR water flows; then the charge. Acknowledge once p_gc is 3 bar below the
    #:   alarm level.
    (1, "hp_high", "Gas cooler pressure high", 1, 5, 3, True),
    #: cause: The HP safety switch contact (input hp_ok) is open: the high side reached the
    #:   switch's setting, or its circuit is broken (a wire or connector, a manual-reset
    #:   switch not yet reset). The HPEV is forced open while it is open.
    #: action: Find why the pressure rose (as for hp_high), reset the switch once p_gc is
    #:   down, check its wiring to the hp_ok terminal (rig read hp_ok). Acknowledge after the
    #:   contact has closed.
    (2, "hp_switch", "HP safety switch open", 1, 0, 0, True),
    #: cause: The gas cooler pressure passed p_hp_ovr_bar, or the HP switch is open: the
    #:   HPEV is driven open over the pressure loop and the fan limits are lifted.
    #: action: Nothing to do when it is rare: it clears by itself 2 bar below the override
    #:   level. When it repeats, find the cause of the high pressure as for hp_high, and
    #:   check the ladder p_gc_max_bar < p_hp_alarm_bar < p_hp_ovr_bar < p_hp_stop_bar.
    (3, "hp_override", "HP override: expansion valve forced open", 2, 0, 2, False),
    #: cause: The gas cooler pressure was about to pass p_hp_stop_bar (2 s ahead at its rate
    #:   of rise), or it reached p_gc_max_bar with the fans failed or at full speed with the
    #:   HPEV fully open: only stopping the compressors was left.
    #: action: The compressor enable returns comp_restart_s after p_gc fell 5 bar below the
    #:   override level. Before acknowledging, check the fans (fan_ok), the coil, the HPEV
    #:   and the HR water flow; repeats show in hp_stop_count and the event log.
    (4, "hp_stop", "HP stop: compressor enable released", 1, 0, 0, True),
    #: cause: The gas cooler pressure signal is invalid: its wire open or shorted (4-20 mA
    #:   below 3.6 or above 21 mA), the transmitter unpowered or broken, a reading outside
    #:   0.5-150 bar, a jump faster than 50 bar/s, or no change for sensor_stuck_s.
    #: action: Measure the loop current at the terminals (4 mA = the range's low end);
    #:   check the wiring, the transmitter's supply and the board file's range. Meanwhile
    #:   the HPEV holds hpev_fail_pct and the HP protections act on the last good value.
    (10, "p_gc_sensor", "Gas cooler pressure sensor fault (HPEV at fixed opening)", 1, 2, 0,
     False),
    #: cause: The receiver pressure signal is invalid: its wire open or shorted, the
    #:   transmitter unpowered or broken, a reading outside 0.5-100 bar, a jump faster than
    #:   30 bar/s, or no change for sensor_stuck_s.
    #: action: Measure the transmitter's signal at the terminals; check the wiring, supply
    #:   and the board file's range. Meanwhile the BEV holds bev_fail_pct and the receiver
    #:   pressure limits are not watched: watch p_rec on a gauge.
    (11, "p_rec_sensor", "Receiver pressure sensor fault (BEV at fixed opening)", 2, 2, 0,
     False),
    #: cause: The suction pressure signal is invalid: its wire open or shorted, the
    #:   transmitter unpowered or broken, a reading outside 0.5-80 bar, a jump faster than
    #:   30 bar/s, or no change for sensor_stuck_s.
    #: action: Check the wiring, supply and transmitter at the next visit; the control does
    #:   not use it (only the EHR estimate, which takes 27 bar meanwhile).
    (12, "p_suc_sensor", "Suction pressure sensor fault", 3, 5, 0, False),
    #: cause: The gas cooler outlet temperature (T3) sensor is invalid: open or shorted
    #:   (PT1000 above 2500 or below 600 ohm), a reading outside -50..150 degC, a jump of
    #:   more than 10 K/s, or no change for sensor_stuck_s.
    #: action: Disconnect the sensor and measure it (PT1000: 1000 ohm at 0 degC, 1117 ohm at
    #:   30 degC); check the wiring and that it sits in its pocket. Meanwhile the pressure
    #:   reference is p_ref_fail_bar, the fans run full and there is no forced operation.
    (13, "t3_sensor", "Gas cooler outlet temperature sensor fault (fixed reference)", 2, 2,
     0, False),
    #: cause: The ambient temperature sensor is invalid: open or shorted, a reading outside
    #:   -50..70 degC, a jump of more than 5 K/s, or no change for sensor_stuck_s.
    #: action: Measure the sensor and check its wiring; it must be in the shade, in the air
    #:   entering the gas cooler. Meanwhile the fans run at full speed.
    (14, "t_amb_sensor", "Ambient temperature sensor fault (fans full)", 2, 5, 0, False),
    #: cause: The compressor discharge temperature sensor is invalid: open or shorted, a
    #:   reading outside -50..200 degC, a jump of more than 10 K/s, or no change for
    #:   sensor_stuck_s.
    #: action: Measure the sensor and check its wiring and pocket on the discharge line.
    #:   Meanwhile heat recovery bypasses the HRHX and the discharge temperature alarm is off.
    (15, "t_disch_sensor", "Discharge temperature sensor fault (HRHX bypassed)", 2, 5, 0,
     False),
    #: cause: The HR water inlet (return) temperature sensor is invalid: open or shorted, a
    #:   reading outside -10..130 degC, a jump of more than 10 K/s, or no change for
    #:   sensor_stuck_s.
    #: action: Measure the sensor and check its wiring and pocket in the return water line.
    #:   Meanwhile heat recovery bypasses the HRHX and recovered heat counts as 0.
    (16, "t_w_in_sensor", "HR water inlet temperature sensor fault (HRHX bypassed)", 2, 5, 0,
     False),
    #: cause: The HR water outlet (supply) temperature sensor is invalid: open or shorted, a
    #:   reading outside -10..130 degC, a jump of more than 10 K/s, or no change for
    #:   sensor_stuck_s.
    #: action: Measure the sensor and check its wiring and pocket in the supply water line.
    #:   Meanwhile heat recovery bypasses the HRHX (the boiling protection needs this sensor).
    (17, "t_w_out_sensor", "HR water outlet temperature sensor fault (HRHX bypassed)", 2, 5,
     0, False),
    #: cause: The HR buffer tank temperature sensor is invalid: open or shorted, a reading
    #:   outside -10..130 degC, a jump of more than 10 K/s, or no change for sensor_stuck_s.
    #: action: Measure the sensor and check its wiring at the next visit; the control does
    #:   not use it (it is reported only).
    (18, "t_tank_sensor", "HR tank temperature sensor fault", 3, 5, 0, False),
    #: cause: The 0-10 V heat-recovery demand from the heating system is invalid: outside
    #:   -0.5..10.5 V or not read (a wire off, no common ground, the heating controller off).
    #: action: Measure the voltage at the demand terminals against the heating system's
    #:   output; check the wiring and the shared ground. Meanwhile heat recovery is off.
    (19, "demand_sensor", "Heat-recovery demand signal fault (heat recovery off)", 2, 5, 0,
     False),
    #: cause: The receiver pressure stayed above p_rec_hi_bar for 10 s: the BEV cannot pass
    #:   the flash gas (stuck, undersized, or the suction side cannot take it), or much flash
    #:   gas from a high gas cooler outlet temperature; the BEV is pushed open meanwhile.
    #: action: Check that the BEV follows bev_pct, the suction pressure and the compressor
    #:   capacity, T3 and the gas cooler. It clears 1 bar below the limit.
    (20, "p_rec_high", "Receiver pressure high", 2, 10, 1, False),
    #: cause: The receiver pressure stayed below p_rec_lo_bar for 30 s: too little flash
    #:   gas (very low ambient, a gas cooler subcooling too much), the BEV leaking or stuck
    #:   open, or a loss of charge (a leak).
    #: action: Check that the BEV closes (bev_pct 0), the receiver level and the plant for
    #:   leaks; at low ambient check the low-ambient GC bypass (gcb_rec_dp_bar) and the fan
    #:   minimum. It clears 1 bar above the limit.
    (21, "p_rec_low", "Receiver pressure low", 2, 30, 1, False),
    #: cause: The HR water outlet passed t_w_max_c: little heat use (tank hot, summer), too
    #:   little water flow (pump, air in the loop, a closed valve) or a setpoint too high.
    #:   The CO2 bypasses the HRHX until the water is 5 K below the limit.
    #: action: Check that the HR pump runs and the water flows (water in and out
    #:   temperatures), that the tank and the heating system take heat, and t_w_out_sp_c.
    #:   Acknowledge once the water is 5 K below the limit.
    (22, "hr_water_hot", "HR water over-temperature: heat-recovery exchanger bypassed", 2, 0,
     5, True),
    #: cause: The compressor discharge temperature stayed above t_disch_max_c for 10 s: a
    #:   high pressure ratio (high p_gc, low suction pressure), a high suction superheat, or
    #:   a compressor fault. The fan cap is lifted meanwhile.
    #: action: Check p_gc and p_suc, the suction superheat at the compressors, the oil and
    #:   the compressors. It clears 5 K below the limit.
    (23, "t_disch_high", "Compressor discharge temperature high", 2, 10, 5, False),
    #: cause: The gas cooler fans' alarm contact (input fan_ok) was open for 10 s: a fan or
    #:   its controller failed, its supply or fuse, or the contact's wiring. With the fans
    #:   failed the HP stop acts already near p_gc_max_bar.
    #: action: Check the fans' supply and fuses, the EC controller's alarm, the contact
    #:   wiring (rig read fan_ok). Acknowledge after the repair.
    (24, "fan_fail", "Gas cooler fan failure", 2, 10, 0, True),
    #: cause: Mode Manual with at least one output taking a manual value (commands man_*):
    #:   that output is not controlled.
    #: action: Meant for commissioning and service. When done write manual_release 1 and set
    #:   mode_cmd back; each value falls back to auto manual_timeout_s after it was written.
    (25, "manual", "Manual output values in force", 3, 0, 0, False),
    #: cause: Heat recovery is on but the CO2 entering the HRHX is not hr_dt_min_k warmer
    #:   than the water coming in (a low discharge temperature at low load or ambient, hot
    #:   return water): the HRHX is bypassed so heat cannot flow backwards.
    #: action: Usually the operating point, not a fault. Check t_disch_c and t_w_in_c read
    #:   right; in Heat-recovery mode a higher demand raises the pressure and the discharge
    #:   temperature.
    (26, "hr_no_heat", "Heat recovery blocked: CO2 not warmer than the water", 3, 60, 1,
     False),
    #: cause: A digital input (comp_run, hp_ok, ext_enable, fan_ok) could not be read: the
    #:   input module, its bus or supply failed, or the input is missing.
    #: action: rig read shows which *_valid is 0; check that module, its bus and supply.
    #:   Meanwhile an unread input counts as in docs/control.md (Fallbacks).
    (27, "di_fault", "Digital input read fault", 3, 5, 0, False),
    #: cause: A stored copy of the settings or counters failed its check (the other copy
    #:   or the defaults are in use), a stored value was outside its range (it kept its
    #:   default), or a write to flash failed.
    #: action: rig events shows what the store found at boot (a copy unusable, a value
    #:   refused and its register); read the settings (rig read) and write again those that
    #:   differ from the site's record. When writes keep failing the flash is worn or full:
    #:   replace the board.
    (28, "storage_fault", "Settings/counters storage fault: a stored copy corrupt, a stored "
     "value refused or a flash write failed", 2, 0, 0, False),
    #: cause: The clock has not been set since the power came on (no RTC backup, no NTP
    #:   answer, never set over Modbus).
    #: action: rig clock --set-from-host, or give the site file an NTP server; check the RTC
    #:   backup battery when it happens after every power cut.
    (50, "clock_not_set", "Clock not set: event times count from boot, no calendar (set it "
     "over Modbus, with `rig clock --set-from-host` or by NTP)", 3, 60, 0, False),
    #: cause: Appending to the event log on flash fails (the filesystem full or damaged, the
    #:   flash worn).
    #: action: Read the events kept in RAM now (rig events); check storage_fault and the
    #:   event-log counts; when it stays, replace the board.
    (51, "event_log_fault", "Event log cannot be written to flash: new events wait in RAM "
     "and may be lost", 3, 0, 0, False),
    #: cause: Manual output values (commands man_*) are set while mode_cmd is not Manual:
    #:   they act only in mode Manual, so every output stays in automatic control.
    #: action: Set mode_cmd to Manual (4) to use them, or write manual_release 1 to remove
    #:   them; they also fall back to auto manual_timeout_s after they were written.
    (70, "manual_idle", "Manual values set, mode not Manual: no effect", 3, 0, 0, False),
    #: cause: The heat meter (hr_meter_wh_per_pulse set) gave no pulse while the estimate
    #:   said hr_meter_min_kw flowed for a window (S0 wire off or reversed, the meter
    #:   unpowered or its pulse output not enabled, the input not wired), or over a window
    #:   the metered heat differed from the estimate by more than hr_meter_dev_pct (a wrong
    #:   pulse value, the meter's flow sensor or temperature pair fitted or set wrong, or a
    #:   wrong hr_flow_kg_s or water temperature sensor under the estimate). Status
    #:   hr_meter says which: 2 failed (the estimate is booked meanwhile), 3 implausible
    #:   (the meter is still booked).
    #: action: Compare the meter's display with q_hr_meter_kw and q_hr_kw; check the S0
    #:   wiring (rig read heat_pulses counts), the meter's pulse value against
    #:   hr_meter_wh_per_pulse, the water flow against hr_flow_kg_s and the water
    #:   temperatures. It clears when pulses return (failed) or at the next window that
    #:   agrees (implausible).
    (60, "heat_meter", "Heat meter failed or implausible against the estimate", 3, 0, 0,
     False),
    # --- deviation alarms (co2hr.deviation: delay dev_delay_s, counted while the loop runs
    # in automatic control) and mode Off/Standby
    #: cause: The gas cooler pressure stayed more than dev_p_gc_bar away from its reference
    #:   for dev_delay_s of automatic running: the HPEV does not follow its output (stuck,
    #:   frozen, a broken stepper cable or driver, debris), too much or too little charge,
    #:   the fans cannot reject the heat, or the p_gc transmitter reads wrong.
    #: action: Compare hpev_pct with the valve's real position (listen for the stepper,
    #:   check its driver and cable), p_gc_bar with a gauge, the fans and the coil, then the
    #:   charge. It clears when p_gc is back within the band.
    (40, "dev_p_gc", "Gas cooler pressure far from its reference (HPEV stuck?)", 2, 0, 0,
     False),
    #: cause: The receiver pressure stayed more than dev_p_rec_bar away from p_rec_sp_bar for
    #:   dev_delay_s of automatic running: the BEV does not follow its output (stuck, its
    #:   driver or cable), too little flash gas to hold it (low load, low charge), a flash
    #:   gas line blocked, or the p_rec transmitter reads wrong.
    #: action: Compare bev_pct with the valve, p_rec_bar with a gauge, check the charge
    #:   (receiver level) and the flash gas line. It clears when p_rec is back within the band.
    (41, "dev_p_rec", "Receiver pressure far from its setpoint (BEV stuck?)", 2, 0, 0, False),
    #: cause: Heat recovery is on and the HR water outlet stayed more than dev_t_w_out_k away
    #:   from t_w_out_sp_c for dev_delay_s with the 3-way valve output at its end (fully
    #:   open while too cold and the water not warming across the HRHX, or shut while too
    #:   hot; a cold outlet with the water warming is too little discharge heat, no alarm):
    #:   the 3-way valve does not follow its output (stuck, its actuator or supply), no
    #:   water flow through the HRHX (pump, air, a closed valve, a dirty strainer), or the
    #:   water sensors read wrong.
    #: action: Compare hr_valve_pct with the valve's position, check the HR pump and the
    #:   water flow, t_disch_c against t_w_out_c, and the sensor. It clears within the band.
    (42, "dev_t_w_out", "HR water outlet far from its setpoint (3-way valve, water flow?)", 3,
     0, 0, False),
    #: cause: mode_cmd is Off or Standby: the compressor enable is released on purpose and
    #:   nothing is controlled. The mode is stored, so it holds after a reboot too.
    #: action: Set mode_cmd to the site's operating mode when the work is done.
    (43, "mode_off", "Mode Off/Standby: compressors released", 4, 0, 0, False),
    # --- p_gc trust (co2hr.hp_guard)
    #: cause: The gas cooler pressure reading disagrees with the rest of the plant while the
    #:   compressors run: more than 2 bar below p_rec, more than 3 bar below saturation at
    #:   a subcritical T3, or the discharge temperature says 6 K (4 K with the fan alarm)
    #:   more than the reading gives, or the HP switch opened while p_gc read below 95
    #:   bar: a transmitter drifting, frozen or off its range, its cable, the wrong range
    #:   in the board file (or a test trip of the HP switch). The compressors stop
    #:   (p_gc_blind_stop), the HPEV holds open, the fans run full; status p_gc_sub_bar
    #:   gives the pressure the discharge temperature says.
    #: action: Compare p_gc_bar and p_gc_sub_bar with a gauge at the gas cooler; check or
    #:   replace the transmitter. Acknowledge to trust it again (it is checked again).
    (5, "p_gc_implausible", "Gas cooler pressure reading implausible (not trusted)", 1, 0,
     0, True),
    #: cause: The gas cooler pressure cannot be trusted (p_gc_sensor or p_gc_implausible):
    #:   every HP protection acts on it, so the compressors are stopped and do not start.
    #: action: Repair or replace the p_gc transmitter (compare with a gauge); the
    #:   compressors restart 60 s after p_gc is trusted again (acknowledge
    #:   p_gc_implausible first).
    (6, "p_gc_blind_stop", "Compressors stopped: gas cooler pressure unknown", 1, 0, 0,
     False),
    #: cause: The receiver pressure reads more than 1 bar below the suction pressure while
    #:   the compressors run (the BEV lets receiver gas to suction, so it cannot): the p_rec
    #:   (or p_suc) transmitter drifting or off its range, its cable, the wrong range in the
    #:   board file. The BEV opens fully while the compressors run, as for an invalid p_rec.
    #: action: Compare p_rec_bar and p_suc_bar with gauges; check or replace the
    #:   transmitter. Acknowledge to trust p_rec again (it is checked again).
    (7, "p_rec_implausible", "Receiver pressure reading implausible (BEV fully open)", 1, 0,
     0, True),
    #: cause: After an HP stop, with the compressors standing still and the HPEV output
    #:   30 % open or more for 60 s, p_gc stayed more than 10 bar above p_rec: an open
    #:   valve equalises them within a minute, so the HPEV does not pass flow (stuck,
    #:   iced, its driver or cable, a closed hand valve), or p_gc reads high or p_rec low.
    #:   Every restart would be a runaway to the HP stop, higher each time once a reading
    #:   is also wrong, so the compressors are locked out.
    #: action: Compare p_gc_bar and p_rec_bar with gauges; check that the HPEV moves with
    #:   hpev_pct (mode Manual) and its hand valves are open. Acknowledge this alarm (or
    #:   all) to let the compressors start again; the next HP stop tests the valve again.
    (8, "hpev_blocked", "HPEV passes no flow after an HP stop: compressors locked out", 1,
     0, 0, True),
    # --- the heat pump (co2hr.hp_controller; never raised on the supermarket plant)
    #: cause: The outdoor coil temperature sensor is invalid: open or shorted, a reading
    #:   outside its range, a jump, or no change for sensor_stuck_s.
    #: action: Measure the sensor and check its wiring and its clip on the coil. Meanwhile
    #:   every defrost runs to df_max_s (it cannot see the coil clear).
    (80, "t_coil_sensor", "Outdoor coil temperature sensor fault (defrosts timed out)", 3, 5,
     0, False),
    #: cause: A defrost ended at df_max_s, not on the coil temperature: too little hot gas
    #:   (the bypass valve, a low df_comp_pct), a coil iced through, the coil sensor off its
    #:   clip or invalid, or a very cold windy day.
    #: action: Look at the coil after a defrost (ice left on it?); check the bypass valve
    #:   follows bev_pct in a defrost and the coil sensor's clip. Acknowledge.
    (81, "df_timeout", "Defrost ended on its maximum time", 3, 0, 0, True),
    #: cause: The supply stayed below its setpoint for 10 min with the water pump at its
    #:   least speed while the compressor ran: too little heat for the setpoint (a low heat
    #:   demand, a capped compressor, a frosted coil), or the setpoint above what the HP
    #:   ceiling (hp_p_max_bar) reaches at this return temperature.
    #: action: Compare hp_supply_sp_c with t_w_out_c and hp_p_supply_bar with hp_p_max_bar;
    #:   lower the setpoint or let the boiler top up.
    (82, "supply_short", "Supply below its setpoint at the least water flow", 3, 300, 0,
     False),
    #: cause: The district-heating return is above hp_t_return_max_c: the CO2 leaves the gas
    #:   cooler warm, so the optimum pressure rises and the heating COP falls (status
    #:   hp_cop; docs/heatpump.md gives the calculator's figures).
    #: action: Ask the network for a colder return (the substations' settings, bypasses).
    (83, "return_high", "District-heating return high (COP falls)", 4, 300, 1, False),
)
N_ALARMS = len(ALARMS)  # build: constant


def _column(k, width=1):  # build: host-only
    """Field k of every ALARMS row as bytes, width bytes each (little-endian)."""
    return b"".join(int(r[k]).to_bytes(width, "little") for r in ALARMS)


# What a board reads of ALARMS: the table stays on the host (its names and texts are
# documentation), the build computes these columns from it (bytes: in flash from
# ROMFS). Delays are u16, little-endian.
ALARM_CODE = _column(0)  # build: constant
ALARM_PRIO = _column(3)  # build: constant
ALARM_DELAY_S = _column(4, 2)  # build: constant
ALARM_HYST = _column(5)  # build: constant
ALARM_LATCHED = _column(6)  # build: constant


def _sensor_column(k):  # build: host-only
    return bytes(pair[k] for pair in SENSOR_ALARMS)


SENSOR_INPUT = _sensor_column(0)  # build: constant
SENSOR_ALARM = _sensor_column(1)  # build: constant
HIST_N = const(32)


class Alarms:
    """State per ALARMS row. Call set()/high()/low() once per tick per alarm."""

    def __init__(self):
        n = N_ALARMS
        self.active = bytearray(n)
        self.acked = bytearray(n)
        self.cause = bytearray(n)
        self._since = [-1.0] * n  # time the cause began, -1 = no cause
        # the table's own numbers (ints compare with floats; float() would box copies),
        # read-only: the columns themselves
        d = ALARM_DELAY_S
        self.delay_s = [d[2 * i] | d[2 * i + 1] << 8 for i in range(n)]
        self.hyst = ALARM_HYST
        self.latched = ALARM_LATCHED
        self.prio = ALARM_PRIO
        self.code = ALARM_CODE
        self.activations = 0  # counter of rising edges
        self._h_t = [0] * HIST_N
        self._h_code = bytearray(HIST_N)
        self._h_on = bytearray(HIST_N)
        self._h_head = 0  # next write position
        self._h_len = 0
        self.n_active = 0
        self.events = None  # co2hr.eventlog.EventLog: each raise, clear and acknowledgement

    # --- evaluation
    def set(self, i, cond, now_s):
        """cond: the alarm's cause is present now. Applies delay and latching."""
        if cond:
            self.cause[i] = 1
            if self._since[i] < 0.0:
                self._since[i] = now_s
            if not self.active[i] and now_s - self._since[i] >= self.delay_s[i]:
                self.active[i] = 1
                self.acked[i] = 0
                self.activations += 1
                self.n_active += 1
                self._log(now_s, i, 1)
        else:
            self.cause[i] = 0
            self._since[i] = -1.0
            if self.active[i] and (not self.latched[i] or self.acked[i]):
                self._clear(i, now_s)

    def high(self, i, value, limit, now_s):
        """Limit alarm: active above limit, clears below limit - hyst."""
        if self.active[i] or self.cause[i]:
            self.set(i, value > limit - self.hyst[i], now_s)
        else:
            self.set(i, value > limit, now_s)

    def low(self, i, value, limit, now_s):
        if self.active[i] or self.cause[i]:
            self.set(i, value < limit + self.hyst[i], now_s)
        else:
            self.set(i, value < limit, now_s)

    def _clear(self, i, now_s):
        self.active[i] = 0
        self.n_active -= 1
        self._log(now_s, i, 0)

    def ack(self, i, now_s=0):
        """Acknowledge row i: the relay lets go of it; it clears now unless its cause is
        still present (then it clears with the cause, latched or not)."""
        if self.active[i]:
            if not self.acked[i] and self.events is not None:
                self.events.alarm(self.code[i], 2)
            self.acked[i] = 1
            if not self.cause[i]:
                self._clear(i, now_s)

    def ack_all(self, now_s=0):
        for i in range(N_ALARMS):
            self.ack(i, now_s)

    def ack_code(self, code, now_s=0):
        """Acknowledge the alarm with this code (no row: nothing)."""
        for i in range(N_ALARMS):
            if self.code[i] == code:
                self.ack(i, now_s)

    def relay(self, mask=3):
        """1 while an alarm whose priority has its bit in mask (bit n-1 = priority n) is
        active and not acknowledged."""
        for i in range(N_ALARMS):
            if self.active[i] and not self.acked[i] and (mask >> (self.prio[i] - 1)) & 1:
                return 1
        return 0

    def word(self, k, which=0):
        """16 bits of rows 16k .. 16k+15 (bit 0 = row 16k): which 0 active, 1 active and
        not acknowledged, 2 cause present now (also while the delay runs, and while a limit
        is back inside by less than its hysteresis)."""
        w = 0
        base = 16 * k
        for b in range(16):
            i = base + b
            if i >= N_ALARMS:
                break
            if which == 0:
                on = self.active[i]
            elif which == 1:
                on = self.active[i] and not self.acked[i]
            else:
                on = self.cause[i]
            if on:
                w |= 1 << b
        return w

    # --- history ring (RAM, fixed size, newest first)
    def _log(self, now_s, i, on):
        if self.events is not None:
            self.events.alarm(self.code[i], on)
        h = self._h_head
        self._h_t[h] = int(now_s)
        self._h_code[h] = self.code[i]
        self._h_on[h] = on
        self._h_head = (h + 1) % HIST_N
        if self._h_len < HIST_N:
            self._h_len += 1

    def history_len(self):
        return self._h_len

    def history_entry(self, i):
        """(t_s, code, on) of the i-th newest event (0 = newest)."""
        if i < 0 or i >= self._h_len:
            raise IndexError("alarm history index")
        h = (self._h_head - 1 - i) % HIST_N
        return (self._h_t[h], self._h_code[h], self._h_on[h])

    def history_clear(self):
        self._h_len = 0
