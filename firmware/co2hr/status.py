# What the controller computes and reports, beyond raw inputs and outputs.
# Rows are append-only (their register addresses follow their order).
#
# STATUS row:   (name, unit, scale)                value: controller.status[i]
# COUNTERS row: (name, unit, scale)                value: controller.counters[i]
#               (32-bit unsigned in two registers, high word first)
# COMMANDS row: (name, min, max, unit, scale)      volatile writable values:
#               controller.command(i, value) acts on them (not persisted)
# Each row's description is the `#:` comment above it: documentation only, read by
# the host tools (rig.regs.fwdoc), so it costs the board no heap. The tables themselves
# stay on the host too: a board gets what it reads of them (the scales, the commands'
# limits) as bytes the build computes (the end of this file).
from micropython import const

from co2hr.settings_table import SettingsTable

ST_MODE = const(0)
ST_P_GC_REF = const(1)
ST_P_GC_OPT = const(2)
ST_REGIME = const(3)
ST_HR_STAGE = const(4)
ST_OP_STATE = const(5)
ST_T3_SP = const(6)
ST_HPEV_PI = const(7)
ST_BEV_PI = const(8)
ST_FAN_PI = const(9)
ST_HRV_PI = const(10)
ST_OVERRIDES = const(11)
ST_Q_HR_KW = const(12)
ST_P_COMP_KW = const(13)
ST_EHR = const(14)
ST_MANUAL_LEFT = const(15)
ST_ALARMS_ACTIVE = const(16)
ST_FAN_LIMIT = const(17)
ST_HR_RAISE = const(18)
ST_GCB_REC = const(19)
ST_Q_HR_METER_KW = const(20)
ST_HR_METER = const(21)
ST_T3_SRC = const(22)
ST_START_LEFT = const(23)
ST_P_GC_TRUST = const(24)
ST_P_GC_SUB = const(25)
N_STATUS = const(26)

# Bits of STATUS overrides
OV_HP = const(0x001)  # HP override: HPEV driven open
OV_COMP_STOP = const(0x002)  # compressor enable released by the HP stop
OV_W_HOT = const(0x004)  # HR water over-temperature: HRHX bypassed
OV_NO_BACKHEAT = const(0x008)  # CO2 not warmer than the water: HRHX bypassed
OV_FAN_SAFETY = const(0x010)  # fan cap / HR reduction lifted by a safety
OV_P_GC_FB = const(0x020)  # p_gc invalid or not trusted (p_gc_trust): HPEV held open
OV_P_REC_FB = const(0x040)  # p_rec invalid: BEV at its fixed opening
OV_T3_FB = const(0x080)  # T3 invalid: fixed reference, fans full
OV_MANUAL = const(0x100)  # at least one output under a manual value
OV_EXT_OFF = const(0x200)  # external enable off: no heat recovery / forcing
OV_DEMAND_FB = const(0x400)  # demand invalid: heat recovery off
OV_P_REC_LIM = const(0x800)  # receiver pressure beyond a limit: BEV forced
OV_W_FB = const(0x1000)  # HR water/discharge temperature invalid: HRHX bypassed
OV_P_GC_LIM = const(0x2000)  # max-pressure limiter: HPEV opened harder near p_gc_max
OV_NO_SINK = const(0x4000)  # HR fan reduction / GC bypass asked for but held off: no sink

# Values of STATUS gcb_rec
GCB_REC_OFF = const(0)
GCB_REC_OPEN = const(1)  # the low-ambient GC bypass is open (co2hr.gc_bypass)
GCB_REC_NO_BACKFLOW = const(2)  # the HPEV is shut against backflow (co2hr.gc_pressure)

STATUS = (  # build: host-only
    #: Active mode: 0 Off, 1 Standby, 2 Max-COP, 3 Heat recovery, 4 Manual
    ("mode", "", 1),
    #: Gas cooler pressure reference in force
    ("p_gc_ref_bar", "bar", 10),
    #: COP-optimal reference for the measured T3 (before HR raise)
    ("p_gc_opt_bar", "bar", 10),
    #: 0 subcritical, 1 transition, 2 transcritical
    ("regime", "", 1),
    #: HR stage: 0 off, 1 pump+valve, 2 pressure raise, 3 fan reduction, 4 GC bypass
    ("hr_stage", "", 1),
    #: Operating state: 0 stopped, 1 refrigeration only, 2 forced (heat recovery raises the
    #: pressure above the unforced Max-COP reference, holds the fans back or bypasses the GC)
    ("op_state", "", 1),
    #: Fan loop T3 setpoint
    ("t3_sp_c", "degC", 10),
    #: HPEV PI output
    ("hpev_pi_pct", "%", 10),
    #: BEV PI output
    ("bev_pi_pct", "%", 10),
    #: Fan PI output
    ("fan_pi_pct", "%", 10),
    #: HR 3-way valve PI output
    ("hrv_pi_pct", "%", 10),
    #: Bits: 1 HP override, 2 comp stop, 4 water hot, 8 no backwards heat, 16 fan safety, 32
    #: p_gc fallback, 64 p_rec fallback, 128 T3 fallback, 256 manual, 512 ext enable off, 1024
    #: demand fallback, 2048 receiver limit, 4096 HR temperature fallback, 8192 max-pressure
    #: limiter, 16384 fan reduction/GC bypass held off (HRHX takes no heat)
    ("overrides", "", 1),
    #: Recovered heat (estimate from pump speed and water temperatures; the heat meter's is
    #: q_hr_meter_kw)
    ("q_hr_kw", "kW", 10),
    #: Compressor power from the energy-meter pulses
    ("p_comp_kw", "kW", 10),
    #: Efficiency of heat recovery since counters began (estimate)
    ("ehr", "", 10),
    #: Seconds until the last manual value falls back to auto
    ("manual_left_s", "s", 1),
    #: Number of active alarms
    ("alarms_active", "", 1),
    #: Fan speed limit after noise cap and HR reduction
    ("fan_limit_pct", "%", 10),
    #: Pressure raise for heat recovery above the optimum
    ("hr_raise_bar", "bar", 10),
    #: 1 while the low-ambient GC bypass is open for the receiver pressure (gcb_rec_dp_bar);
    #: 2 while the HPEV is shut against backflow from the receiver (p_gc below p_rec)
    ("gcb_rec", "", 1),
    #: Recovered heat from the heat meter pulses (mean over about a minute; 0 without a
    #: meter). q_hr_kw keeps the estimate beside it
    ("q_hr_meter_kw", "kW", 10),
    #: Heat meter: 0 none (hr_meter_wh_per_pulse 0: the estimate is booked), 1 the meter is
    #: booked, 2 the meter failed (no pulses while the estimate says heat flows, or the
    #: input not read): the estimate is booked, 3 the meter is booked but its last judged
    #: window differed from the estimate by more than hr_meter_dev_pct
    ("hr_meter", "", 1),
    #: Where the pressure reference's T3 comes from: 0 measured, 1 substituted (T3
    #: invalid: t_amb + the last measured approach + 1 K), 2 the fixed p_ref_fail_bar (T3
    #: and t_amb invalid)
    ("t3_src", "", 1),
    #: Seconds left of the start sequence's compressor delay (0: released or stopped)
    ("start_left_s", "s", 1),
    #: Trust in the p_gc reading (co2hr.hp_guard): 0 trusted, 1 sensor fault, 2
    #: implausible (latched until acknowledged), 3 valid again, waiting 60 s
    ("p_gc_trust", "", 1),
    #: p_gc inferred from the discharge temperature while p_gc is not trusted (0: none)
    ("p_gc_sub_bar", "bar", 10),
)

CNT_UPTIME = const(0)
CNT_RUN_REFRIG = const(1)
CNT_RUN_FORCED = const(2)
CNT_HR_REFRIG = const(3)
CNT_HR_FORCED = const(4)
CNT_COMP = const(5)
CNT_COMP_REFRIG = const(6)
CNT_COMP_FORCED = const(7)
CNT_COMP_EXTRA = const(8)
CNT_ALARMS = const(9)
CNT_HP_STOPS = const(10)
CNT_COMP_STARTS = const(11)
N_COUNTERS = const(12)
COUNTERS = (  # build: host-only
    #: Seconds since boot (not restored)
    ("uptime_s", "s", 1),
    #: Compressor running as a refrigeration plant (surplus heat only)
    ("run_refrig_s", "s", 1),
    #: Compressor running forced (pressure raised for heat recovery)
    ("run_forced_s", "s", 1),
    #: Heat recovered in refrigeration-only state (the heat meter's when one is set, else
    #: the estimate)
    ("hr_refrig_wh", "Wh", 1),
    #: Heat recovered in forced state (the heat meter's when one is set, else the estimate)
    ("hr_forced_wh", "Wh", 1),
    #: Compressor energy from the meter pulses
    ("comp_wh", "Wh", 1),
    #: Compressor energy in refrigeration-only state
    ("comp_refrig_wh", "Wh", 1),
    #: Compressor energy in forced state
    ("comp_forced_wh", "Wh", 1),
    #: Estimated extra compressor energy caused by forcing (for EHR)
    ("comp_extra_wh", "Wh", 1),
    #: Alarm activations
    ("alarm_count", "", 1),
    #: Compressor enable releases by the HP stop
    ("hp_stop_count", "", 1),
    #: Compressor starts (comp_run rising edges)
    ("comp_starts", "", 1),
)

CMD_ALARM_ACK = const(0)
CMD_MAN_FIRST = const(1)  # CMD_MAN_FIRST + output index = manual value of that output,
CMD_MAN_N = const(8)  # for the first CMD_MAN_N outputs (the rows after them were taken)
CMD_MAN_RELEASE = const(9)
CMD_HIST_CLEAR = const(10)
CMD_ALARM_ACK_CODE = const(11)
CMD_BMS_DEMAND = const(12)
CMD_MAN_INJ_STOP = const(13)  # the manual value of io.DO_INJ_STOP (appended at the end)
CMD_MAN_COMP_SPEED = const(14)  # the manual value of io.AO_COMP_SPEED (heat pump)
N_COMMANDS = const(15)
COMMANDS = (  # build: host-only
    #: Write 1 to acknowledge all alarms (reads 0; the alarm words say what stays active)
    ("alarm_ack", 0, 1, "", 1),
    #: Manual HPEV opening (mode Manual); -1 = auto
    ("man_hpev_pct", -1, 100, "%", 10),
    #: Manual BEV opening (mode Manual); -1 = auto
    ("man_bev_pct", -1, 100, "%", 10),
    #: Manual HR 3-way valve (mode Manual); -1 = auto
    ("man_hr_valve_pct", -1, 100, "%", 10),
    #: Manual fan speed (mode Manual); -1 = auto
    ("man_fan_pct", -1, 100, "%", 10),
    #: Manual HR pump speed (mode Manual); -1 = auto
    ("man_hr_pump_pct", -1, 100, "%", 10),
    #: Manual GC bypass 0/1 (mode Manual); -1 = auto
    ("man_gc_bypass", -1, 1, "", 1),
    #: Manual compressor enable 0/1 (mode Manual); -1 = auto
    ("man_comp_enable", -1, 1, "", 1),
    #: Manual alarm relay 0/1 (relay test); -1 = auto
    ("man_alarm_relay", -1, 1, "", 1),
    #: Write 1 to return every manual output to auto
    ("manual_release", 0, 1, "", 1),
    #: Write 1 to clear the alarm history
    ("alarm_hist_clear", 0, 1, "", 1),
    #: Write an alarm code to acknowledge that alarm only (docs/alarms.md); reads 0
    ("alarm_ack_code", 1, 99, "", 1),
    #: Heat-recovery demand from the BMS (hr_demand_src 2): write it again within
    #: hr_bms_timeout_s, or heat recovery stops
    ("bms_demand_v", 0, 10, "V", 100),
    #: Manual injection-stop relay 0/1 (mode Manual; the HP stop keeps it on); -1 = auto
    ("man_inj_stop", -1, 1, "", 1),
    #: Heat pump: manual compressor speed (mode Manual; the HP override and stop act over
    #: it); -1 = auto
    ("man_comp_speed_pct", -1, 100, "%", 10),
)

# The heat pump's own status (input registers 240.., on a heat pump only): its controller's
# status list holds STATUS, then these (value: controller.status[N_STATUS + i]).
HS_P_OPT = const(0)
HS_P_SUPPLY = const(1)
HS_P_WHY = const(2)
HS_SUPPLY_SP = const(3)
HS_SUPPLY_SHORT = const(4)
HS_RUN_WHY = const(5)
HS_DF_STATE = const(6)
HS_DF_WHY = const(7)
HS_DF_RISE = const(8)
HS_DF_FALLBACK = const(9)
HS_T_EVAP = const(10)
HS_FAN_CAP = const(11)
HS_Q_HEAT_KW = const(12)
HS_COP = const(13)
HS_SCOP = const(14)
HS_COMP_WANT = const(15)
HS_PRICE_CHEAP = const(16)
N_HP_STATUS = const(17)
HP_STATUS = (  # build: host-only
    #: HPEV: the pressure of best heating COP for the CO2 leaving the gas cooler
    ("hp_p_opt_bar", "bar", 10),
    #: HPEV: the least pressure that reaches the supply setpoint (plus the margin)
    ("hp_p_supply_bar", "bar", 10),
    #: What sets the reference: 0 the COP optimum, 1 the supply, 2 capped at hp_p_max_bar
    ("hp_p_why", "", 1),
    #: Supply setpoint in force (boiler, weather compensation)
    ("hp_supply_sp_c", "degC", 10),
    #: 1: the supply stays below its setpoint with the pump at its least speed (too
    #: little heat for the setpoint)
    ("hp_supply_short", "", 1),
    #: Why the compressor runs or not: 0 heat demand, 1 grid enable off, 2 start delay, 3
    #: least stop time, 4 least run time, 5 cheap hour, 6 dear hour, 7 tank low, 8 mode
    #: Off/Standby, 9 HP stop or a lockout, 10 defrost
    ("hp_run_why", "", 1),
    #: Defrost state: 0 evaporating, 1 hot gas, 2 fans only, 3 drip
    ("df_state", "", 1),
    #: Why the last defrost began: 0 none yet, 1 demand, 2 timed, 3 backstop
    ("df_why", "", 1),
    #: Demand defrost: the frost indicator's rise over the clean coil's (0: not learned)
    ("df_rise_pct", "%", 10),
    #: 1: demand defrost cannot be read (air or evaporating pressure invalid): timed
    ("df_fallback", "", 1),
    #: Evaporating temperature (saturation at p_suc)
    ("hp_t_evap_c", "degC", 10),
    #: 1: the fans are at the quiet hours' cap
    ("hp_fan_cap", "", 1),
    #: Heat delivered now, from the heat meter
    ("hp_q_heat_kw", "kW", 10),
    #: Heating COP over the last meter readings (0: not known)
    ("hp_cop", "", 100),
    #: Heating COP since the counters began (hp_heat_wh / hp_elec_wh)
    ("hp_scop", "", 100),
    #: Compressor speed the heat demand asks for
    ("hp_comp_want_pct", "%", 10),
    #: Price rule: 1 this hour is cheap, 0 dear, -1 no price for it
    ("hp_price_cheap", "", 1),
)

# The heat pump's counters (input registers 340.., on a heat pump only), kept per month
# and season as the supermarket's counters 1..8 are (co2hr.encal): its controller's
# counter list holds COUNTERS, then these, then their calendar.
HC_RUN = const(0)
HC_HEAT = const(1)
HC_ELEC = const(2)
HC_STARTS = const(3)
HC_DEFROSTS = const(4)
HC_DEFROST_S = const(5)
HC_DEFROST_WH = const(6)
HC_GRID_OFF = const(7)
N_HP_COUNTERS = const(8)
HP_COUNTERS = (  # build: host-only
    #: Compressor running
    ("hp_run_s", "s", 1),
    #: Heat delivered to the district heating (heat meter)
    ("hp_heat_wh", "Wh", 1),
    #: Electricity of the compressor and fans (energy meter)
    ("hp_elec_wh", "Wh", 1),
    #: Compressor starts
    ("hp_starts", "", 1),
    #: Defrosts
    ("hp_defrosts", "", 1),
    #: Time defrosting and dripping
    ("hp_defrost_s", "s", 1),
    #: Electricity while defrosting and dripping
    ("hp_defrost_wh", "Wh", 1),
    #: Time the grid enable was off
    ("hp_grid_off_s", "s", 1),
)


def _scales(rows):  # build: host-only
    return bytes(r[2] for r in rows)


def _commands():  # build: host-only
    from co2hr.settings_table import pack

    return pack((tuple((r[0], 0) + r[1:] for r in COMMANDS),))


# What a board reads of the tables above: they stay on the host (their names are
# documentation), the build computes these from them (bytes: in flash from ROMFS).
STATUS_SCALE = _scales(STATUS)  # build: constant
HP_STATUS_SCALE = _scales(HP_STATUS)  # build: constant
# COMMANDS packed as settings rows whose default is 0 (co2hr.settings_table): a
# command's name(), lo(), hi() and scale()
_COMMANDS_PACKED = _commands()  # build: constant
COMMAND_TABLE = SettingsTable(_COMMANDS_PACKED)
