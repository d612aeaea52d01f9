# The canonical order of the rig's signals. Board files, the signal layer, the
# simulated board, the HIL link and the register map all index by these lists,
# so this is the one place a signal is added.
from micropython import const

# Inputs: what the board's terminals measure, in engineering units after scaling.
AI_P_GC = const(0)  # gas cooler (high side) pressure, bar a
AI_P_REC = const(1)  # receiver (IPR) pressure, bar a
AI_P_SUC = const(2)  # MT suction pressure, bar a
AI_T_GC_OUT = const(3)  # gas cooler outlet temperature T3, degC
AI_T_AMB = const(4)  # ambient air, degC
AI_T_DISCH = const(5)  # compressor discharge = CO2 entering the HRHX, degC
AI_T_W_IN = const(6)  # HR water into the HRHX (return), degC
AI_T_W_OUT = const(7)  # HR water out of the HRHX (supply), degC
AI_T_TANK = const(8)  # HR buffer tank, degC
AI_DEMAND = const(9)  # heat-recovery demand from the heating system, 0-10 V
DI_COMP_RUN = const(10)  # compressor pack running
DI_HP_OK = const(11)  # HP safety switch closed (1 = healthy)
DI_EXT_ENABLE = const(12)  # external enable for heat recovery (grid / heating system)
CI_ENERGY = const(13)  # compressor energy meter, S0 pulse count
DI_FAN_OK = const(14)  # gas cooler fan healthy (EC fan alarm contact)
CI_HEAT = const(15)  # heat meter on the recovered heat (HR water), S0 pulse count
# The heat pump's own (docs/heatpump.md, "The application"); the signals above that it
# shares keep their names: p_suc is its evaporating pressure, t_amb the air at its coil,
# t_w_in/t_w_out the district-heating return/supply, demand_v its heat demand.
AI_T_COIL = const(16)  # outdoor coil (evaporator) temperature: ends a defrost, degC
DI_BOILER = const(17)  # a boiler tops up the supply (1 = on): the lower setpoint
N_IN = const(18)

INPUTS = (
    "p_gc_bar",
    "p_rec_bar",
    "p_suc_bar",
    "t_gc_out_c",
    "t_amb_c",
    "t_disch_c",
    "t_w_in_c",
    "t_w_out_c",
    "t_tank_c",
    "demand_v",
    "comp_run",
    "hp_ok",
    "ext_enable",
    "energy_pulses",
    "fan_ok",
    "heat_pulses",
    "t_coil_c",
    "boiler_on",
)

# Outputs: what the controller drives. Percentages 0..100, switches 0/1.
AO_HPEV = const(0)  # high-pressure expansion valve opening, %
AO_BEV = const(1)  # gas bypass valve opening, %
AO_HR_VALVE = const(2)  # 3-way valve: share of CO2 through the HRHX, %
AO_FAN = const(3)  # gas cooler fan speed, %
AO_HR_PUMP = const(4)  # HR water pump speed, % (0 = off)
DO_GC_BYPASS = const(5)  # gas cooler bypass valve, 0/1
DO_COMP_ENABLE = const(6)  # compressor enable (released by the HP override), 0/1
DO_ALARM = const(7)  # common alarm relay, 0/1
DO_INJ_STOP = const(8)  # injection-stop relay to the case controllers (1 = close injection)
AO_COMP_SPEED = const(9)  # heat pump: compressor speed to the drive (0-10 V), %
N_OUT = const(10)

OUTPUTS = (
    "hpev_pct",
    "bev_pct",
    "hr_valve_pct",
    "fan_pct",
    "hr_pump_pct",
    "gc_bypass",
    "comp_enable",
    "alarm_relay",
    "inj_stop",
    "comp_speed_pct",
)

# The safe state every output takes before the first tick and on a fault:
# expansion valve part-open (no trapped high side), bypass closed, fans full,
# heat recovery off, compressor enable OFF: a stepper HPEV homes against its closed stop
# first, and the start sequence (co2hr.start_seq) releases the compressors only once the
# valve is at its start opening; so the injection-stop relay is ON (a board that resets
# has stopped its compressors: the case controllers close injection until the start
# sequence releases them; docs/control.md "Injection stop").
SAFE_OUTPUTS = (30.0, 0.0, 0.0, 100.0, 0.0, 0.0, 0.0, 1.0, 1.0, 0.0)
# A board file lists the signals of its application (rig.boards: the supermarket's all
# but the heat pump's own, inj_stop optional); an output a board does not list drives
# nothing, its value is still computed and served over Modbus.


def number(x):
    """x as a number, for the constants a board file gives an input: an int stays an
    int (a float is a 16-byte object on the board's heap for as long as it runs), anything
    else is float(x) (which refuses what is not a number)."""
    return x if type(x) is int else float(x)
