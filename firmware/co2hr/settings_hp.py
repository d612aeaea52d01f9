# The heat pump's settings (rows: see co2hr.settings), holding registers 200.. on a
# board whose application is the heat pump (docs/heatpump.md, "The application").
# Append-only. The common settings it shares with the supermarket plant (mode_cmd, the
# filters and calibrations, alarm_relay_mask, manual_timeout_s, t_disch_max_c, the
# clock's) stay in co2hr.settings_control; HP_ORDER is this table's part of the order
# between settings (co2hr.settings), in indexes of this table.
from micropython import const

HP_SCHEMA = (
    #: District-heating supply setpoint (water leaving the gas cooler)
    ("hp_supply_sp_c", 70, 40, 90, "degC", 10),
    #: Supply setpoint while a boiler tops up the supply (input boiler_on)
    ("hp_supply_boiler_c", 52, 35, 90, "degC", 10),
    #: 1: the supply setpoint follows the outdoor air (weather compensation)
    ("hp_wc_on", 0, 0, 1, "", 1),
    #: Weather compensation: at or below this air the setpoint is hp_supply_sp_c...
    ("hp_wc_t_lo_c", -12, -30, 10, "degC", 10),
    #: ...and at or above this one hp_wc_sp_warm_c, linear between
    ("hp_wc_t_hi_c", 15, -20, 30, "degC", 10),
    #: Weather compensation: the supply setpoint in warm air
    ("hp_wc_sp_warm_c", 60, 35, 90, "degC", 10),
    #: Water pump speed while the supply temperature is invalid
    ("hp_pump_fail_pct", 60, 10, 100, "%", 10),
    #: Least water pump speed while the compressor runs
    ("hp_pump_min_pct", 10, 5, 100, "%", 10),
    #: Supply loop (water pump) gain, % per K (the pump slows when the supply is cold)
    ("hp_pump_kp", 2, 0.1, 50, "%/K", 10),
    #: Supply loop integral time
    ("hp_pump_ti_s", 60, 5, 3600, "s", 1),
    #: Water pump rate limit
    ("hp_pump_rate_pct_s", 2, 0.1, 20, "%/s", 10),
    #: Ceiling of the gas cooler pressure reference (design pressure 110 bar)
    ("hp_p_max_bar", 104, 80, 106, "bar", 10),
    #: The reference is at least the pressure the supply needs plus this
    ("hp_p_supply_margin_bar", 1, 0, 5, "bar", 10),
    #: HP override: above it the HPEV opens harder and the compressor slows
    ("hp_p_ovr_bar", 106, 82, 108, "bar", 10),
    #: HP stop: above it the compressor stops (restart after the start sequence)
    ("hp_p_stop_bar", 108, 84, 109, "bar", 10),
    #: HPEV pressure loop gain, % per bar
    ("hp_hpev_kp", 1.5, 0.1, 20, "%/bar", 10),
    #: HPEV pressure loop integral time
    ("hp_hpev_ti_s", 30, 2, 600, "s", 1),
    #: HPEV opening at a start, held until the compressor runs
    ("hp_hpev_start_pct", 40, 10, 100, "%", 10),
    #: HPEV rate limit
    ("hp_hpev_rate_pct_s", 5, 0.5, 50, "%/s", 10),
    #: Heat demand (input demand_v, or bms_demand_v) below which the compressor is not asked
    ("hp_demand_on_v", 0.5, 0.1, 5, "V", 100),
    #: Least compressor speed while it runs (the drive maps 0..100 % to its speed range)
    ("hp_comp_min_pct", 20, 0, 60, "%", 10),
    #: Compressor speed while the heat demand is invalid (and the tank cannot say)
    ("hp_comp_fail_pct", 50, 0, 100, "%", 10),
    #: Compressor speed rate limit
    ("hp_comp_rate_pct_s", 1, 0.1, 10, "%/s", 10),
    #: Evaporator fans: the air is cooled to this far above the evaporating temperature
    ("hp_fan_dt_k", 8, 3, 15, "K", 10),
    #: Least fan speed while evaporating
    ("hp_fan_min_pct", 20, 5, 100, "%", 10),
    #: Fan loop gain, % per K
    ("hp_fan_kp", 3, 0.1, 50, "%/K", 10),
    #: Fan loop integral time
    ("hp_fan_ti_s", 120, 10, 3600, "s", 1),
    #: Fan rate limit
    ("hp_fan_rate_pct_s", 2, 0.1, 20, "%/s", 10),
    #: 1: the fans are capped at hp_quiet_fan_pct in the quiet hours (local time)
    ("hp_quiet_on", 1, 0, 1, "", 1),
    #: Quiet hours begin at this hour...
    ("hp_quiet_from_h", 22, 0, 23, "h", 1),
    #: ...and end at this one
    ("hp_quiet_to_h", 6, 0, 23, "h", 1),
    #: Fan speed cap in the quiet hours (the site's night noise limit)
    ("hp_quiet_fan_pct", 60, 20, 100, "%", 10),
    #: Return temperature above which the warning return_high is raised (COP falls)
    ("hp_t_return_max_c", 45, 20, 70, "degC", 10),
    #: 1: the compressor runs in the cheapest hours of the price vector (holding 300..)
    ("hp_price_on", 0, 0, 1, "", 1),
    #: Cheapest hours of 24 in which the tank is charged
    ("hp_price_hours", 12, 1, 24, "h", 1),
    #: Buffer tank: below it the compressor runs whatever the price
    ("hp_tank_min_c", 45, 20, 80, "degC", 10),
    #: Buffer tank: charged up to this in a cheap hour
    ("hp_tank_max_c", 70, 30, 90, "degC", 10),
    #: Delay before the first start after the grid enable came back (or boot)
    ("hp_start_delay_s", 120, 10, 3600, "s", 1),
    #: Least run time once started
    ("hp_min_run_s", 600, 0, 7200, "s", 1),
    #: Least stop time once stopped
    ("hp_min_stop_s", 300, 0, 7200, "s", 1),
    #: Defrost: 0 timed only, 1 on demand (timed when the demand cannot be read)
    ("df_mode", 1, 0, 1, "", 1),
    #: Defrost: frost is counted only in air below this
    ("df_t_air_max_c", 7, 0, 15, "degC", 10),
    #: Demand defrost: the frost indicator's rise over the clean coil's
    ("df_rise_pct", 25, 5, 100, "%", 1),
    #: Timed defrost: frosting run time between defrosts
    ("df_interval_s", 3600, 600, 28800, "s", 1),
    #: Least frosting run time between defrosts
    ("df_min_s", 1200, 300, 14400, "s", 1),
    #: Demand defrost: the longest frosting run time without one
    ("df_backstop_s", 14400, 1800, 43200, "s", 1),
    #: Hot gas defrost ends once the coil reaches this
    ("df_t_end_c", 10, 2, 30, "degC", 10),
    #: A defrost ends after this at the latest (warning df_timeout)
    ("df_max_s", 900, 120, 3600, "s", 1),
    #: Drip time after a defrost, fans stopped
    ("df_drip_s", 120, 0, 900, "s", 1),
    #: Fans-only defrost in air at or above this
    ("df_fans_t_air_c", 3, 1, 10, "degC", 10),
    #: After a defrost the clean coil is learned once this has passed
    ("df_settle_s", 300, 60, 1800, "s", 1),
    #: Hot gas defrost: the gas bypass valve's opening
    ("df_bev_pct", 100, 20, 100, "%", 10),
    #: Hot gas defrost: the compressor's speed
    ("df_comp_pct", 40, 10, 100, "%", 10),
    #: The compressor stops above this discharge temperature (its maker's limit)
    ("hp_t_disch_max_c", 140, 80, 150, "degC", 10),
    #: The drive's speed at 0 % (0 V) as a share of its speed at 100 %: the defrost reads
    #: the compressor's flow from it (20 of 70 Hz: 29 %)
    ("hp_drive_min_pct", 29, 0, 90, "%", 1),
)

_SP = const(0)
_BOILER = const(1)
_WC_LO = const(3)
_WC_HI = const(4)
_P_MAX = const(11)
_P_OVR = const(13)
_P_STOP = const(14)
_TANK_MIN = const(35)
_TANK_MAX = const(36)
_DF_INTERVAL = const(43)
_DF_MIN = const(44)
_DF_BACKSTOP = const(45)
_STRICT = const(1)
_P_GAP = const(10)  # 1 bar (0.1 bar steps) between the rungs of the pressure ladder
_TANK_GAP = const(50)  # 5 K (0.1 K steps): the tank's charge band holds its 3 K hysteresis

# (lower, upper, least gap) triples in this table's indexes, as co2hr.settings ORDER.
HP_ORDER = (
    _BOILER, _SP, 0,
    _WC_LO, _WC_HI, _STRICT,
    _P_MAX, _P_OVR, _P_GAP,
    _P_OVR, _P_STOP, _P_GAP,
    _TANK_MIN, _TANK_MAX, _TANK_GAP,
    _DF_MIN, _DF_INTERVAL, 0,
    _DF_INTERVAL, _DF_BACKSTOP, 0,
)
