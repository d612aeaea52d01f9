# THE register map: one table, built at import from the firmware's own tables
# (io.INPUTS/OUTPUTS, status.STATUS/COUNTERS/COMMANDS, alarms.ALARMS, settings
# CONTROL_SCHEMA/COMM_SCHEMA, this server's DIAG), never a second list. The server
# serves from it, host tools decode with it (rows()), docs/registers.* come from it.
#
# Addresses are stable: every group sits at a fixed base in its table and grows
# only by appending. 32-bit values take two registers, HIGH WORD FIRST.
#   input registers (FC4)          holding registers (FC3/6/16/23)
#     0.. inputs (eng. x scale)      0.. control settings (need the service unlock)
#   100.. outputs                  400.. communication settings (need the unlock)
#   200.. status                   500.. commands (volatile, need the unlock)
#   300.. counters (u32)           600   service unlock code (reads seconds left)
#   400.. Modbus diagnostics (u32) 1000.. read-only mirror of input registers 0..999
#   500.. active alarm words            for masters that only use FC3
#   520.. alarm history
#   600.. health (u32)
#   620.. the asking line's unlock wait
#   640.. boot mode and network link (u16), 650.. network addresses and counts (u32)
#   660.. clock and event-log state         620.. clock set (UTC), 630 event-log index
#   700.. event-log window                        (co2hr.modbus.evregs)
#   900.. identity
#  1000.. alarm words: active and not acknowledged; 1010.. cause present (not mirrored)
#  1020.. why each input is invalid (signals F_* code, 0 valid)
#  2000.. calendar counters per season, 2100.. per month (co2hr.encal)
# A heat pump (docs/heatpump.md, "The application") serves these too (the supermarket's
# calendar at 2000/2100 excepted) and its own (HP_GROUPS):
#   input 240.. its status, 340.. its counters (u32), 2400.. and 2500.. their calendar
#   holding 200.. its settings (need the unlock), 300.. the price vector (need the unlock)
#   coils (FC1/5/15): 0.. boolean commands (address = command index; need the unlock)
#   discrete inputs (FC2): 0.. input valid, 100.. output on, 200.. alarm active,
#                          300 settings unlocked (for the asking line), 301 factory code
# An input register of an invalid signal reads -32768 (0x8000).
# Reads (never writes) of a reserved address inside a group's block, from its base to
# the next group or the next hundred, give 0 instead of exception 2: one FC 4 request
# reads every measurement however many the board has (RegisterMap._reserved_end).
# Every writable register but the unlock register needs the asking master's unlock
# (co2hr.modbus.unlock); a broadcast writes nothing. The unlock code reads 0.
import gc

from micropython import const

from co2hr import VERSION
from co2hr.alarms import N_ALARMS
from co2hr.encal import N_MONTHS, N_SEASONS, SLOT_WORDS
from co2hr.io import INPUTS, OUTPUTS
from co2hr.modbus import evregs as EV
from co2hr.modbus.crc import crc16
from co2hr.modbus.pdu import COILS, DISCRETE, HOLDING, ILLEGAL_ADDRESS, ILLEGAL_FUNCTION, INPUT
from co2hr.settings import HP_FIRST, N_COMM, N_CONTROL, N_HP, SCHEMA
from co2hr.settings import index as _sidx
from co2hr.status import (
    COMMAND_TABLE,
    HP_STATUS_SCALE,
    N_COMMANDS,
    N_COUNTERS,
    N_HP_COUNTERS,
    N_HP_STATUS,
    N_STATUS,
    STATUS_SCALE,
)
from co2hr.ticks import ticks_diff

TABLE_NAMES = ("coil", "discrete", "holding", "input")  # by pdu table constant  # build: host-only
INVALID = const(0x8000)
MIRROR_BASE = const(1000)
_BLOCK = const(100)  # a group's block ends at the next group or the next hundred

# Sources: where a group's values live.
_S_IN = const(1)  # control.sig.value[i] (valid: sig.valid[i])
_S_OUT = const(2)  # app.out[i]
_S_STATUS = const(3)  # control.status[i]
_S_COUNTER = const(4)  # control.counters[i], u32
_S_DIAG = const(5)  # server diagnostics counter i, u32
_S_ALARM_WORD = const(6)  # control.alarms.word(k)
_S_HIST = const(7)  # alarm history
_S_IDENT = const(8)  # identity word i
S_SETTING = const(9)  # settings.values[i]
_S_COMMAND = const(10)  # control.command(i, v); reads the last value written
_S_UNLOCK = const(11)  # service unlock
_S_VALID = const(12)  # control.sig.valid[i]
_S_OUT_ON = const(13)  # app.out[i] != 0
_S_ALARM_BIT = const(14)  # control.alarms.active[i]
_S_UNLOCKED = const(15)  # unlock state
_S_CMD_BIT = const(16)  # boolean command as a coil
_S_MIRROR = const(17)  # holding 1000+a = input register a
_S_HEALTH = const(18)  # HEALTH row i, u32
_S_SESSION = const(19)  # SESSION row i: the asking line's unlock guard
_S_CODE_DEFAULT = const(20)  # the unlock code is the factory code
_S_BOARD = const(21)  # BOARD_STATE row i: boot mode (map.boot_mode), app.hw.net
_S_NET32 = const(22)  # NET32 row i, u32: app.hw.net
_S_ALARM_UNACK = const(23)  # control.alarms.word(k, 1): active, not acknowledged
_S_ALARM_CAUSE = const(24)  # control.alarms.word(k, 2): cause present now
_S_IN_FAULT = const(25)  # control.sig.fault[i]: why input i is invalid (0: valid)
_S_CAL_SEASON = const(26)  # calendar counters per season (co2hr.encal)
_S_CAL_MONTH = const(27)  # and per month
_S_HP_STATUS = const(28)  # control.status[N_STATUS + i] (heat pump)
_S_HP_COUNTER = const(29)  # control.counters[N_COUNTERS + i], u32 (heat pump)
_S_PRICE = const(30)  # the price vector: control.price_word(i) / price_write(i, raw)
_S_HP_CAL_SEASON = const(31)  # the heat pump's calendar counters per season
_S_HP_CAL_MONTH = const(32)  # and per month

# Modbus server counters (this package's own table; indexes used by the transports).
D_SERVED = const(0)
D_CRC = const(1)
D_EXC = const(2)
D_OTHER_UNIT = const(3)
D_BAD_FRAME = const(4)
D_TCP_ACCEPTED = const(5)
D_TCP_REFUSED = const(6)
D_TCP_TIMEOUTS = const(7)
_D_UNLOCKS = const(8)  # (used here only: underscored, they take no name on the heap)
_D_UNLOCK_REFUSED = const(9)
_D_WRITES_REFUSED = const(10)
D_BCAST_REFUSED = const(11)
D_TCP_FRAME_TIMEOUTS = const(12)
D_TCP_NOT_ALLOWED = const(13)
DIAG = (  # build: host-only strings
    #: Requests processed (answered or broadcast), all transports
    "mb_frames_served",
    #: RTU frames dropped for a bad CRC
    "mb_crc_errors",
    #: Exception responses sent
    "mb_exceptions_sent",
    #: RTU frames for another slave address (ignored)
    "mb_other_unit",
    #: Frames dropped: too short, too long or a bad MBAP header
    "mb_bad_frames",
    #: TCP connections accepted
    "mb_tcp_accepted",
    #: TCP connections refused (all client slots busy)
    "mb_tcp_refused",
    #: TCP connections closed by the idle timeout
    "mb_tcp_timeouts",
    #: Service unlocks opened (any connection or line)
    "mb_unlocks",
    #: Unlock codes refused: wrong, or sent while the line waits after wrong codes
    "mb_unlock_refused",
    #: Writes refused with exception 1: the asking connection or line is not unlocked, or
    #: Modbus TCP is read-only
    "mb_writes_refused",
    #: Broadcast requests refused (a broadcast never writes; it is never answered)
    "mb_broadcast_refused",
    #: TCP connections closed because a request or its answer took longer than tcp_frame_s
    "mb_tcp_frame_timeouts",
    #: TCP connections refused or closed by the client allowlist (tcp_allow_prefix)
    "mb_tcp_not_allowed",
)
N_DIAG = len(DIAG)  # build: constant

# Health (u32 each): what shows that a board is struggling. Row: (name, unit).
_H_OVERRUNS = const(0)
_H_TICK_MAX = const(1)
_H_HEAP_FREE = const(2)
_H_HEAP_USED = const(3)
_H_RESET = const(4)
HEALTH = (  # build: host-only fields 0 1
    #: Control ticks missed or longer than the period, since boot
    ("tick_overruns", ""),
    #: Longest control tick since boot
    ("tick_max_ms", "ms"),
    #: Free heap, sampled when read, at most every 10 s (0 where the build cannot tell)
    ("heap_free_bytes", "B"),
    #: Heap in use, sampled with heap_free_bytes; includes garbage not yet collected (the
    #: board collects after every tick)
    ("heap_used_bytes", "B"),
    #: Cause of the last reset: 0 unknown, 1 power-on, 2 hard reset, 3 watchdog, 4 deep
    #: sleep, 5 soft reset
    ("reset_cause", ""),
    #: Boots counted by the settings store
    ("boot_count", ""),
)
_RESET_CAUSES = "unknown pwron hard wdt deepsleep soft"  # hw.reset_cause(), by code
_HEAP_SAMPLE_MS = const(10000)  # gc.mem_free() walks the heap (~60 ms on the mpy target)

# The unlock guard of the line that asks (TCP listener, RTU line or link). Row: (name, unit).
SESSION = (  # build: host-only fields 0 1
    #: Seconds before the asking line takes another unlock code (after wrong codes)
    ("unlock_wait_s", "s"),
    #: Wrong unlock codes on the asking line since its last unlock
    ("unlock_failures", ""),
)

# How the board booted and its network link (co2hr/maintenance.py sets the boot mode;
# the link is co2hr.hw.net.NetLink, app.hw.net; hardware without one reads as no
# network). Row: (name, unit). u16 each, net_rssi_dbm i16.
_BOARD_BASE = const(640)
_NET32_BASE = const(650)
_NET_UP = const(2)  # co2hr.hw.net.ST_UP
_B_MODE = const(0)
_B_KIND = const(1)
_B_STATE = const(2)
_B_SITE = const(3)
_B_RSSI = const(4)
_B_RETRY = const(5)
_B_FAIL = const(6)
BOARD_STATE = (  # build: host-only fields 0 1
    #: Boot mode: 0 control running; 1 maintenance asked by rig deploy (maint.flag on the
    #: flash); 2 maintenance after the control loop stopped on an error three runs in a row
    #: (crash.txt); 3 maintenance because the rig could not be started (see the console).
    #: In maintenance the watchdog and the control loop are off, every output is held in
    #: its safe state and every write is refused (docs/flashing.md)
    ("boot_mode", ""),
    #: Network interface in use: 0 none, 1 Wi-Fi station, 2 wired Ethernet
    ("net_kind", ""),
    #: Network link: 0 off (no interface, or the site file is missing or wrong: net_site),
    #: 1 connecting, 2 up (address assigned), 3 failed, waiting to retry (net_retry_s)
    ("net_state", ""),
    #: Site file (site.json): 0 not read (the board file has no network), 1 valid,
    #: 2 missing, 3 unreadable (not JSON, not an object, too large), 4 a field is wrong,
    #: 5 asks for an interface this board does not have; the console says which field
    ("net_site", ""),
    #: Wi-Fi signal strength while the link is up; 0x8000 otherwise
    ("net_rssi_dbm", "dBm"),
    #: Seconds until the next connection attempt (0: none waiting)
    ("net_retry_s", "s"),
    #: Last link failure: 0 none, 1 access point not found, 2 wrong key, 3 refused by the
    #: access point, 4 no address within 30 s, 5 driver error, 6 link lost, 7 interface not
    #: supported by this MicroPython build
    ("net_fail", ""),
    #: 1: the address comes from DHCP; 0: static (site file) or no network
    ("net_dhcp", ""),
)
_N_RECONNECTS = const(6)  # word offsets in the NET32 group: 3 addresses, then counts
_N_UP_S = const(8)
NET32 = (  # build: host-only fields 0 1
    #: IPv4 address (192.168.1.20 reads 0xC0A8 0x0114); 0 while the link is down
    ("net_ip", ""),
    #: IPv4 netmask; 0 while the link is down
    ("net_netmask", ""),
    #: IPv4 gateway; 0 while the link is down
    ("net_gateway", ""),
    #: Connection attempts after the first since boot (Wi-Fi), or link losses (Ethernet)
    ("net_reconnects", ""),
    #: Seconds the link has been up (0 while it is down)
    ("net_up_s", "s"),
)

HIST_N = const(16)  # newest alarm-history entries shown in registers
_HIST_WORDS = const(4)  # per entry: code, event (1 raised, 0 cleared), time_s (u32)
N_ALARM_WORDS = (N_ALARMS + 15) // 16  # build: constant

IDENT = (  # build: host-only strings
    #: Firmware version, major
    "fw_major",
    #: Firmware version, minor
    "fw_minor",
    #: Firmware version, patch
    "fw_patch",
    #: CRC-16/MODBUS of the board name (see FC 43/14 for the name)
    "board_id",
    #: CRC-16/MODBUS of this register map's names and addresses
    "regmap_id",
    #: Seconds since boot (u32)
    "uptime_s",
)

_I_CODE = _sidx("unlock_code")  # build: constant
UNLOCK_CODE = SCHEMA.default(_I_CODE)  # the factory code: the default of the setting unlock_code

# Unit and scale of an input/output from its name's unit suffix (io.py names carry units).
_SUFFIX = (("_bar", "bar", 10, "i16"), ("_c", "degC", 10, "i16"),  # build: host-only
           ("_v", "V", 100, "i16"), ("_pct", "%", 10, "u16"), ("_pulses", "pulses", 1, "u16"))


def _kind(name):  # build: host-only
    for s in _SUFFIX:
        if name.endswith(s[0]):
            return s
    return ("", "", 1, "u16")


def _scales(names):  # build: host-only
    return bytes(_kind(n)[2] for n in names)


def _signed(names):  # build: host-only
    return bytes(1 if _kind(n)[3] == "i16" else 0 for n in names)


# What the board reads of the suffixes: each input's and output's register scale and
# whether it is signed (bytes the build computes).
_IN_SCALE = _scales(INPUTS)  # build: constant
_IN_SIGNED = _signed(INPUTS)  # build: constant
_OUT_SCALE = _scales(OUTPUTS)  # build: constant


def _setting_type(lo):  # build: host-only
    return "i16" if lo < 0 else "u16"


# Groups: (table, base, source, count, words per item, access, first settings index).
# A board reads them packed (GROUP_RECORDS below): the tuples stay on the host.
GROUPS = (  # build: host-only
    (INPUT, 0, _S_IN, len(INPUTS), 1, "r", 0),
    (INPUT, 100, _S_OUT, len(OUTPUTS), 1, "r", 0),
    (INPUT, 200, _S_STATUS, N_STATUS, 1, "r", 0),
    (INPUT, 300, _S_COUNTER, N_COUNTERS, 2, "r", 0),
    (INPUT, 400, _S_DIAG, N_DIAG, 2, "r", 0),
    (INPUT, 500, _S_ALARM_WORD, N_ALARM_WORDS, 1, "r", 0),
    (INPUT, 520, _S_HIST, 1 + HIST_N * _HIST_WORDS, 1, "r", 0),
    (INPUT, 600, _S_HEALTH, len(HEALTH), 2, "r", 0),
    (INPUT, 620, _S_SESSION, len(SESSION), 1, "r", 0),
    (INPUT, _BOARD_BASE, _S_BOARD, len(BOARD_STATE), 1, "r", 0),
    (INPUT, _NET32_BASE, _S_NET32, len(NET32), 2, "r", 0),
    (INPUT, 660, EV.S_CLOCK, EV.count(EV.S_CLOCK), 1, "r", 0),
    (INPUT, 672, EV.S_CLOCK32, EV.count(EV.S_CLOCK32), 2, "r", 0),
    (INPUT, 680, EV.S_EVLOG32, EV.count(EV.S_EVLOG32), 2, "r", 0),
    (INPUT, 690, EV.S_EVLOG, EV.count(EV.S_EVLOG), 1, "r", 0),
    (INPUT, EV.WIN_BASE, EV.S_WINDOW, EV.count(EV.S_WINDOW), 1, "r", 0),
    (INPUT, 900, _S_IDENT, len(IDENT) + 1, 1, "r", 0),
    (INPUT, 1000, _S_ALARM_UNACK, N_ALARM_WORDS, 1, "r", 0),
    (INPUT, 1010, _S_ALARM_CAUSE, N_ALARM_WORDS, 1, "r", 0),
    (INPUT, 1020, _S_IN_FAULT, len(INPUTS), 1, "r", 0),
    (INPUT, 2000, _S_CAL_SEASON, N_SEASONS * SLOT_WORDS, 1, "r", 0),
    (INPUT, 2100, _S_CAL_MONTH, N_MONTHS * SLOT_WORDS, 1, "r", 0),
    (HOLDING, 0, S_SETTING, N_CONTROL, 1, "rw", 0),
    (HOLDING, 400, S_SETTING, N_COMM, 1, "rw", N_CONTROL),
    (HOLDING, 500, _S_COMMAND, N_COMMANDS, 1, "rw", 0),
    (HOLDING, 600, _S_UNLOCK, 1, 1, "rw", 0),
    (HOLDING, 620, EV.S_CLOCKSET, EV.count(EV.S_CLOCKSET), 1, "rw", 0),
    (HOLDING, 630, EV.S_FROM, EV.count(EV.S_FROM), 2, "rw", 0),
    (HOLDING, MIRROR_BASE, _S_MIRROR, MIRROR_BASE, 1, "r", 0),
    (COILS, 0, _S_CMD_BIT, N_COMMANDS, 1, "rw", 0),
    (DISCRETE, 0, _S_VALID, len(INPUTS), 1, "r", 0),
    (DISCRETE, 100, _S_OUT_ON, len(OUTPUTS), 1, "r", 0),
    (DISCRETE, 200, _S_ALARM_BIT, N_ALARMS, 1, "r", 0),
    (DISCRETE, 300, _S_UNLOCKED, 1, 1, "r", 0),
    (DISCRETE, 301, _S_CODE_DEFAULT, 1, 1, "r", 0),
)
# The heat pump's own (a controller with HEATPUMP set serves them, and not the
# supermarket's calendar). The price vector: 0..23 the prices of the hours from the
# first (signed, any unit), 24 how many (1..24), 25-26 the first hour (unix time / 3600,
# u32): writing its low word (26) hands the vector to the schedule (co2hr.hp_schedule),
# so one FC 16 of 300..326 sets it whole.
N_PRICE_WORDS = const(27)
HP_GROUPS = (  # build: host-only
    (INPUT, 240, _S_HP_STATUS, N_HP_STATUS, 1, "r", 0),
    (INPUT, 340, _S_HP_COUNTER, N_HP_COUNTERS, 2, "r", 0),
    (INPUT, 2400, _S_HP_CAL_SEASON, N_SEASONS * SLOT_WORDS, 1, "r", 0),
    (INPUT, 2500, _S_HP_CAL_MONTH, N_MONTHS * SLOT_WORDS, 1, "r", 0),
    (HOLDING, 200, S_SETTING, N_HP, 1, "rw", HP_FIRST),
    (HOLDING, 300, _S_PRICE, N_PRICE_WORDS, 1, "rw", 0),
)


# The groups packed for a board (computed by the build: bytes, in flash from ROMFS),
# GROUPS then HP_GROUPS, _REC bytes each: table, source, words per item, 1 if rw, then
# base, count and first settings index (u16, little-endian). A group is the offset of
# its record; the accessors below read its fields without allocating.
_REC = const(10)


def _pack_groups():  # build: host-only
    out = b""
    for t, base, src, n, words, access, first in GROUPS + HP_GROUPS:
        out += bytes((t, src, words, 1 if access == "rw" else 0))
        out += b"".join(v.to_bytes(2, "little") for v in (base, n, first))
    return out


GROUP_RECORDS = _pack_groups()  # build: constant
# the supermarket's groups come first in GROUP_RECORDS, then the heat pump's
N_GROUPS = len(GROUPS)  # build: constant


def _table(g):
    return GROUP_RECORDS[g]


def _src(g):
    return GROUP_RECORDS[g + 1]


def _words(g):
    return GROUP_RECORDS[g + 2]


def _rw(g):
    return GROUP_RECORDS[g + 3]


def _base(g):
    return GROUP_RECORDS[g + 4] | GROUP_RECORDS[g + 5] << 8


def _count(g):
    return GROUP_RECORDS[g + 6] | GROUP_RECORDS[g + 7] << 8


def _first(g):
    return GROUP_RECORDS[g + 8] | GROUP_RECORDS[g + 9] << 8


def _end(g):
    """The address after group g's last register."""
    return _base(g) + _count(g) * _words(g)


def group_records(hp):
    """The groups (record offsets) one application's controller serves: the
    supermarket's (hp 0), or on a heat pump (hp 1) the common ones and its own, without
    the supermarket's calendar (its counters' calendar is at 2400/2500)."""
    out = []
    for k in range(len(GROUP_RECORDS) // _REC):
        g = k * _REC
        if not hp and k >= N_GROUPS:
            break
        if hp and (_src(g) == _S_CAL_SEASON or _src(g) == _S_CAL_MONTH):
            continue
        out.append(g)
    return out


def _group(g):  # build: host-only
    """Group record g as the GROUPS tuple it was packed from."""
    return (_table(g), _base(g), _src(g), _count(g), _words(g), "rw" if _rw(g) else "r",
            _first(g))


def served(hp):  # build: host-only
    """The groups one application serves, as GROUPS tuples (group_records())."""
    return tuple(_group(g) for g in group_records(hp))


def needs_unlock(table, addr):  # build: host-only
    """True for a register only an unlocked master may write: every writable one but
    the unlock register itself and the master's own event-log index."""
    for g in range(0, len(GROUP_RECORDS), _REC):
        if _table(g) == table and _base(g) <= addr < _end(g):
            return _rw(g) == 1 and _src(g) != _S_UNLOCK and _src(g) != EV.S_FROM
    return False


def setting_address(k):
    """The holding register of setting k (schema index): what the event log records."""
    for g in range(0, len(GROUP_RECORDS), _REC):
        if _src(g) == S_SETTING and _first(g) <= k < _first(g) + _count(g):
            return _base(g) + k - _first(g)
    return 0xFFFF


def _is_bool_command(i):
    return COMMAND_TABLE.lo(i) == 0 and COMMAND_TABLE.hi(i) == 1


def rows(doc=None, hp=None):  # build: host-only
    """Every register as (table, address, name, unit, scale, type, access, min, max,
    description): the host tools' decoder and the documentation. The firmware carries
    no description text (it would sit on the board's heap): doc(src, i, row) supplies
    it (host: rig.regs.fwdoc, from the `#:` comments above each table row), else "".
    hp None: both applications' registers; 0 or 1: what that one serves (served()).
    Not used by the firmware's byte path (it allocates; call it on a host)."""
    out = []
    for g in GROUPS + HP_GROUPS if hp is None else served(hp):
        t, base, src = g[0], g[1], g[2]
        tn = TABLE_NAMES[t]
        if src == _S_MIRROR:
            continue  # listed after the input registers they mirror
        for i in range(g[3]):
            a = base + i * g[4]
            r = _row(src, i, g[6])
            if r is not None:
                out.append((tn, a) + r + (doc(src, g[6] + i, r) if doc else "",))
    for r in out[:]:
        if r[0] == "input" and r[1] < MIRROR_BASE:
            m = r[2:6] + ("r",) + r[7:9]
            out.append(("holding", MIRROR_BASE + r[1]) + m + (doc(_S_MIRROR, r[1], m)
                                                               if doc else "",))
    return out


def _row(src, i, first):  # build: host-only
    # -> (name, unit, scale, type, access, min, max) or None (gap)
    from co2hr.alarms import ALARMS
    from co2hr.status import COMMANDS, COUNTERS, STATUS

    if src == _S_IN:
        k = _kind(INPUTS[i])
        return (INPUTS[i], k[1], k[2], k[3], "r", "", "")
    if src == _S_OUT:
        k = _kind(OUTPUTS[i])
        return (OUTPUTS[i], k[1], k[2], "u16", "r", 0, 100 if k[1] == "%" else 1)
    if src == _S_STATUS:
        st = STATUS[i]
        return (st[0], st[1], st[2], "i16", "r", "", "")
    if src == _S_COUNTER:
        cn = COUNTERS[i]
        return (cn[0], cn[1], cn[2], "u32", "r", 0, 4294967295)
    if src == _S_DIAG:
        return (DIAG[i], "", 1, "u32", "r", 0, 4294967295)
    if src == _S_ALARM_WORD:
        return ("alarm_word_%d" % i, "", 1, "u16", "r", 0, 65535)
    if src == _S_ALARM_UNACK:
        return ("alarm_unacked_word_%d" % i, "", 1, "u16", "r", 0, 65535)
    if src == _S_ALARM_CAUSE:
        return ("alarm_cause_word_%d" % i, "", 1, "u16", "r", 0, 65535)
    if src == _S_IN_FAULT:
        return (INPUTS[i] + "_fault", "", 1, "u16", "r", 0, 6)
    if src == _S_HIST:
        if i == 0:
            return ("alarm_hist_len", "", 1, "u16", "r", 0, 65535)
        j, w = (i - 1) // _HIST_WORDS, (i - 1) % _HIST_WORDS
        if w == 3:
            return None  # low word of the u32 time
        what = (("code", "", "u16"), ("event", "", "u16"), ("time_s", "s", "u32"))[w]
        return ("alarm_hist_%d_%s" % (j, what[0]), what[1], 1, what[2], "r", "", "")
    if src == _S_IDENT:
        if i == len(IDENT):
            return None
        up = IDENT[i] == "uptime_s"
        return (IDENT[i], "s" if up else "", 1, "u32" if up else "u16", "r", "", "")
    if src == S_SETTING:
        se = SCHEMA[first + i]
        return (se[0], se[4], se[5], _setting_type(se[2]), "rw", se[2], se[3])
    if src == _S_COMMAND:
        cm = COMMANDS[i]
        return (cm[0], cm[3], cm[4], _setting_type(cm[1]), "rw", cm[1], cm[2])
    if src == _S_UNLOCK:
        return ("service_unlock", "", 1, "u16", "rw", 0, 65535)
    if src == _S_CMD_BIT:
        if not _is_bool_command(i):
            return None
        return (COMMANDS[i][0], "", 1, "bit", "rw", 0, 1)
    if src == _S_VALID:
        return (INPUTS[i] + "_valid", "", 1, "bit", "r", 0, 1)
    if src == _S_OUT_ON:
        return (OUTPUTS[i] + "_on", "", 1, "bit", "r", 0, 1)
    if src == _S_ALARM_BIT:
        return ("alarm_" + ALARMS[i][1], "", 1, "bit", "r", 0, 1)
    if src == _S_UNLOCKED:
        return ("settings_unlocked", "", 1, "bit", "r", 0, 1)
    if src == _S_HEALTH:
        return (HEALTH[i][0], HEALTH[i][1], 1, "u32", "r", 0, 4294967295)
    if src == _S_SESSION:
        return (SESSION[i][0], SESSION[i][1], 1, "u16", "r", 0, 65535)
    if src == _S_CODE_DEFAULT:
        return ("unlock_code_default", "", 1, "bit", "r", 0, 1)
    if src == _S_BOARD:
        b = BOARD_STATE[i]
        return (b[0], b[1], 1, "i16" if i == _B_RSSI else "u16", "r", "", "")
    if src == _S_NET32:
        return (NET32[i][0], NET32[i][1], 1, "u32", "r", 0, 4294967295)
    if src == _S_CAL_SEASON or src == _S_CAL_MONTH:
        return _cal_row(src == _S_CAL_MONTH, i)
    if src >= EV.S_FIRST:
        return EV.row(src, i)
    return _hp_row(src, i)


def _hp_row(src, i):  # build: host-only
    from co2hr.status import HP_COUNTERS, HP_STATUS

    if src == _S_HP_STATUS:
        st = HP_STATUS[i]
        return (st[0], st[1], st[2], "i16", "r", "", "")
    if src == _S_HP_COUNTER:
        cn = HP_COUNTERS[i]
        return (cn[0], cn[1], cn[2], "u32", "r", 0, 4294967295)
    if src == _S_HP_CAL_SEASON or src == _S_HP_CAL_MONTH:
        return _cal_row(src == _S_HP_CAL_MONTH, i, HP_COUNTERS, 0, "hp_")
    if src == _S_PRICE:
        if i < 24:
            return ("price_%d" % i, "", 1, "i16", "rw", -32768, 32767)
        if i == 24:
            return ("price_n", "h", 1, "u16", "rw", 1, 24)
        if i == 25:
            return ("price_first_hour", "h", 1, "u32", "rw", 0, 4294967295)
    return None


def _cal_row(months, i, names=None, first=1, pre=""):  # build: host-only
    # names[first..]: the counters the calendar keeps (co2hr.encal.Calendar's first);
    # None: COUNTERS
    from co2hr.status import COUNTERS

    names = COUNTERS if names is None else names
    j, w = i // SLOT_WORDS, i % SLOT_WORDS
    pre += ("month_%d_" if months else "season_%d_") % j
    if w == 0:
        return (pre + "year", "", 1, "u16", "r", "", "")
    if w == 1:
        return (pre + ("month" if months else "heating"), "", 1, "u16", "r", "", "")
    if w & 1:
        return None  # low word of a u32
    cn = names[first + (w - 2) // 2]
    return (pre + cn[0], cn[1], cn[2], "u32", "r", 0, 4294967295)


def regmap_id():  # build: constant
    """CRC of every register's table, address and name: a master can check that its
    copy of the map is this firmware's."""
    c = 0
    for g in GROUPS + HP_GROUPS:
        for i in range(g[3]):
            r = _row(g[2], i, g[6]) if g[2] != _S_MIRROR else None
            if r is None:
                continue
            s = ("%d %d %s;" % (g[0], g[1] + i * g[4], r[0])).encode()
            c = crc16(s, 0, len(s)) ^ ((c << 1) & 0xFFFF) ^ (c >> 15)
    return c


def _to_reg(v, scale, signed):
    x = int(round(v * scale)) if scale != 1 else int(v)  # a float here is boxed: allocates
    if signed:
        if x > 32767:
            x = 32767
        elif x < -32767:
            x = -32767
        return x & 0xFFFF
    if x < 0:
        return 0
    return 65535 if x > 65535 else x




def _u32(v, off):
    """The word of a u32 at offset off in its group: even = high word."""
    return (v >> 16) & 0xFFFF if off & 1 == 0 else v & 0xFFFF


class RegisterMap:
    """The table bound to a running App: reads and writes for the PDU core, on behalf
    of the master the server names before each request (session: its Unlock;
    broadcast: an RTU broadcast)."""

    def __init__(self, app, server, settings, board_name="?"):
        self.app = app
        self.control = app.control
        self.server = server
        self.settings = settings
        self.session = server.session  # (each request names its master first)
        self.broadcast = False
        causes = _RESET_CAUSES.split()
        cause = app.hw.reset_cause()
        self.reset_code = causes.index(cause) if cause in causes else 0
        self.heap_free = 0  # the last heap sample (see _HEAP_SAMPLE_MS)
        self.heap_used = 0
        self.heap_ms = -1  # when it was taken (-1: never)
        self.boot_mode = 0  # input 640 (co2hr.maintenance serves another)
        self.net = app.hw.net  # co2hr.hw.net.NetLink on a board with one
        seg = ([], [], [], [])  # per table: its groups (record offsets, GROUP_RECORDS)
        hp = getattr(self.control, "HEATPUMP", 0)  # the application (co2hr.hp_controller)
        for g in group_records(hp):
            seg[_table(g)].append(g)
        self.seg = seg
        parts = VERSION.split(".")
        self.ident = [0] * (len(IDENT) + 1)
        for k in range(3):
            self.ident[k] = int(parts[k]) if k < len(parts) else 0
        name = board_name.encode()
        self.ident[3] = crc16(name, 0, len(name))
        self.ident[4] = regmap_id()
        self.ev = EV.EvRegs(app)  # the clock and event-log groups

    def _find(self, table, addr):
        for g in self.seg[table]:
            b = _base(g)
            if b <= addr < b + _count(g) * _words(g):
                if _src(g) == _S_CMD_BIT and not _is_bool_command(addr - b):
                    return None
                return g
        return None

    def _reserved_end(self, table, addr):
        """End of the block whose reserved address addr is (0: none). A group's block runs
        from its base to the next group's base or the next multiple of _BLOCK, whichever
        comes first (never less than the group itself): its unused addresses read 0, so
        a master can poll a whole block, e.g. every measurement in one FC 4 request."""
        best = None
        base = -1
        for g in self.seg[table]:
            b = _base(g)
            if b <= addr and b > base:
                best = g
                base = b
        if best is None:
            return 0
        end = (base // _BLOCK + 1) * _BLOCK
        size_end = _end(best)
        if end < size_end:
            end = size_end
        for g in self.seg[table]:
            b = _base(g)
            if base < b < end:
                end = b
        return end if addr < end else 0

    def readable(self, table, addr, qty):
        a = addr
        end = addr + qty
        while a < end:
            g = self._find(table, a)
            if g is None:
                a = self._reserved_end(table, a)  # reads 0 up to there
                if not a:
                    return False
                continue
            if _src(g) == _S_MIRROR:
                if not self.readable(INPUT, a - MIRROR_BASE, 1):
                    return False
                a += 1
            elif _src(g) == _S_CMD_BIT:
                a += 1
            else:
                a = _end(g)
        return True

    def writable(self, table, addr, qty):
        if self.broadcast:
            return ILLEGAL_FUNCTION  # no sender to hold an unlock (counted by the server)
        a = addr
        end = addr + qty
        needs = False
        view = True  # only the master's own event-log index: no unlock, even read-only
        while a < end:
            g = self._find(table, a)
            if g is None or not _rw(g):
                return ILLEGAL_ADDRESS
            src = _src(g)
            if src >= EV.S_FIRST and not EV.whole(src, _base(g), a, end):
                return ILLEGAL_ADDRESS  # a block written in part
            if src != EV.S_FROM:
                view = False
                if src != _S_UNLOCK:
                    needs = True
            a = a + 1 if src == _S_CMD_BIT else _end(g)
        s = self.session
        if not view and (s.read_only() or (needs and not s.is_open())):
            self.server.diag[_D_WRITES_REFUSED] += 1
            return ILLEGAL_FUNCTION
        return 0

    def value_ok(self, table, addr, raw):
        g = self._find(table, addr)
        if g is None:
            return False
        i = (addr - _base(g)) // _words(g)
        src = _src(g)
        if src == S_SETTING:
            k = _first(g) + i
            if k == _I_CODE and raw == 0:
                return True  # 0 leaves the code as it is (it reads 0)
            try:
                self.settings.check(k, self._setting_value(k, raw))
            except (ValueError, TypeError):
                return False
            return True
        if src == _S_COMMAND or src == _S_CMD_BIT:
            v = self._cmd_value(i, raw)
            return COMMAND_TABLE.lo(i) <= v <= COMMAND_TABLE.hi(i)
        if src >= EV.S_FIRST:
            return self.ev.value_ok(src, addr - _base(g), raw)
        if src == _S_PRICE:
            return self.control.price_ok(i, raw)
        return src == _S_UNLOCK  # any code goes to the session, which decides

    def block_ok(self, addr, qty, req, d):
        """The settings of a holding block written at once keep every order of the
        schema together (co2hr.settings ORDER): one FC 16 moves a whole ladder, and a
        write that would break an order changes nothing (exception 3)."""
        ks = None
        vs = None
        for j in range(qty):
            g = self._find(HOLDING, addr + j)
            if g is None or _src(g) != S_SETTING:
                continue
            k = _first(g) + addr + j - _base(g)
            raw = (req[d + 2 * j] << 8) | req[d + 2 * j + 1]
            if k == _I_CODE and raw == 0:
                continue  # leaves the code as it is
            if ks is None:
                ks = []
                vs = []
            ks.append(k)
            vs.append(self._setting_value(k, raw))
        return ks is None or self.settings.fits(ks, vs) < 0

    def _setting_value(self, k, raw):
        x = raw - 0x10000 if SCHEMA.signed(k) and raw > 32767 else raw
        if SCHEMA.holds_int(k):
            return x
        return x / SCHEMA.scale(k)  # boxed float: allocates (documented)

    def _cmd_value(self, i, raw):
        sc = COMMAND_TABLE.scale(i)
        x = raw - 0x10000 if COMMAND_TABLE.lo(i) < 0 and raw > 32767 else raw
        return x if sc == 1 else x / sc

    def write(self, table, addr, raw):
        g = self._find(table, addr)
        if g is None:
            raise ValueError("unmapped")
        i = (addr - _base(g)) // _words(g)
        src = _src(g)
        if src == S_SETTING:
            k = _first(g) + i
            if k != _I_CODE or raw != 0:
                self.settings.set_index(k, self._setting_value(k, raw), False)  # block_ok
        elif src == _S_COMMAND or src == _S_CMD_BIT:
            self.control.command(i, self._cmd_value(i, raw))
            if self.app.events is not None:
                self.app.events.command(i, raw)
        elif src == _S_UNLOCK:
            return self._unlock(raw)
        elif src == _S_PRICE:
            self.control.price_write(i, raw)
        elif src >= EV.S_FIRST:
            return self.ev.write(src, addr - _base(g), raw, self.session)
        return 0

    def _unlock(self, raw):
        d = self.server.diag
        if self.session.attempt(raw):
            if raw:
                d[_D_UNLOCKS] += 1
            return 0
        d[_D_UNLOCK_REFUSED] += 1
        return ILLEGAL_FUNCTION  # the reply of any write refused while locked

    def read(self, table, addr):
        g = self._find(table, addr)
        if g is None:
            return 0
        off = addr - _base(g)
        i = off // _words(g)
        src = _src(g)
        c = self.control
        if src == _S_IN:
            sig = c.sig
            if not sig.valid[i]:
                return INVALID
            return _to_reg(sig.value[i], _IN_SCALE[i], _IN_SIGNED[i])
        if src == _S_OUT:
            return _to_reg(self.app.out[i], _OUT_SCALE[i], False)
        if src == _S_STATUS:
            return _to_reg(c.status[i], STATUS_SCALE[i], True)
        if src == _S_COUNTER:
            return EV.word32(int(c.counters[i]), off)
        if src == _S_HP_COUNTER:  # (the heat pump's follow COUNTERS in its list)
            return EV.word32(int(c.counters[N_COUNTERS + i]), off)
        if src == _S_DIAG:
            return EV.word32(self.server.diag[i], off)
        if src == _S_ALARM_WORD:
            return c.alarms.word(i) & 0xFFFF
        if src == _S_HIST:
            return self._hist(off)
        if src == _S_HEALTH:
            return EV.word32(self._health(i), off)
        if src == _S_SESSION:
            gd = self.session.guard
            return gd.wait_s() if i == 0 else gd.failures
        if src == _S_IDENT:
            if off >= 5:
                return EV.word32(self.app.ticks * self.app.period_ms // 1000, off - 5)
            return self.ident[off]
        if src == S_SETTING:
            k = _first(g) + i
            if k == _I_CODE:
                return 0  # never readable
            return _to_reg(self.settings.values[k], SCHEMA.scale(k), SCHEMA.signed(k))
        if src >= EV.S_FIRST:
            return self.ev.read(src, off, self.session)
        return self._read_more(src, i, addr)

    def _read_more(self, src, i, addr):
        c = self.control
        if src == _S_COMMAND or src == _S_CMD_BIT:
            v = c.command_value(i)
            if src == _S_CMD_BIT:
                return 1 if v else 0
            return _to_reg(v, COMMAND_TABLE.scale(i), COMMAND_TABLE.lo(i) < 0)
        if src == _S_UNLOCK:
            return self.session.seconds_left()
        if src == _S_VALID:
            return c.sig.valid[i]
        if src == _S_OUT_ON:
            return 1 if self.app.out[i] else 0
        if src == _S_ALARM_BIT:
            return 1 if c.alarms.active[i] else 0
        if src == _S_UNLOCKED:
            return 1 if self.session.is_open() else 0
        if src == _S_CODE_DEFAULT:
            return 1 if self.settings.values[_I_CODE] == UNLOCK_CODE else 0
        if src == _S_MIRROR:
            return self.read(INPUT, addr - MIRROR_BASE)
        if src == _S_ALARM_UNACK:
            return c.alarms.word(i, 1)
        if src == _S_ALARM_CAUSE:
            return c.alarms.word(i, 2)
        if src == _S_IN_FAULT:
            return c.sig.fault[i]
        if src == _S_BOARD:
            return self._board(i)
        if src == _S_NET32:
            return self._net32(addr - _NET32_BASE)
        if src == _S_CAL_SEASON or src == _S_CAL_MONTH:
            return c.energy.cal.word(src == _S_CAL_MONTH, i)
        return self._read_hp(src, i)

    def _read_hp(self, src, i):
        c = self.control
        if src == _S_HP_STATUS:
            return _to_reg(c.status[N_STATUS + i], HP_STATUS_SCALE[i], True)
        if src == _S_HP_CAL_SEASON or src == _S_HP_CAL_MONTH:
            return c.energy.cal.word(src == _S_HP_CAL_MONTH, i)
        if src == _S_PRICE:
            return c.price_word(i)
        return 0

    def _board(self, i):
        if i == _B_MODE:
            return self.boot_mode
        n = self.net
        if n is None:
            return INVALID if i == _B_RSSI else 0
        if i == _B_KIND:
            return n.kind
        if i == _B_STATE:
            return n.state
        if i == _B_SITE:
            return n.site
        if i == _B_RSSI:
            return n.rssi & 0xFFFF if n.rssi and n.state == _NET_UP else INVALID
        if i == _B_RETRY:
            return n.retry_s()
        return n.fail if i == _B_FAIL else n.dhcp

    def _net32(self, off):
        n = self.net
        if n is None:
            return 0
        if off < _N_RECONNECTS:  # address, netmask, gateway: 4 bytes each, high word first
            return (n.addr[2 * off] << 8) | n.addr[2 * off + 1]
        return _u32(n.reconnects if off < _N_UP_S else n.up_s, off)

    def _health(self, i):
        app = self.app
        if i == _H_OVERRUNS:
            return app.overruns
        if i == _H_TICK_MAX:
            return app.tick_max_ms
        if i == _H_RESET:
            return self.reset_code
        if i != _H_HEAP_FREE and i != _H_HEAP_USED:
            return app.boot_count
        # gc.mem_free()/mem_alloc() each walk the whole heap: at most one sample per
        # _HEAP_SAMPLE_MS, taken when a master reads a heap figure, never in the tick
        now = app.hw.ticks_ms()
        if self.heap_ms < 0 or not 0 <= ticks_diff(now, self.heap_ms) < _HEAP_SAMPLE_MS:
            self.heap_ms = now
            if hasattr(gc, "mem_free"):  # MicroPython only
                self.heap_free = gc.mem_free()
                self.heap_used = gc.mem_alloc()
        return self.heap_free if i == _H_HEAP_FREE else self.heap_used

    def _hist(self, off):
        al = self.control.alarms
        n = al.history_len()
        if off == 0:
            return n
        j, w = (off - 1) // _HIST_WORDS, (off - 1) % _HIST_WORDS
        if j >= n:
            return 0
        e = al.history_entry(j)  # (time_s, code, raised) newest first
        if w == 0:
            return int(e[1]) & 0xFFFF
        if w == 1:
            return 1 if e[2] else 0
        return EV.word32(int(e[0]), w - 2)
