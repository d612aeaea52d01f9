"""Generate docs/registers.md, docs/registers.csv and the Home Assistant import file
(docs/home-assistant-modbus.yaml) from the firmware's register table
(co2hr.modbus.registers, imported under CPython, through rig.regs.table), and
docs/alarms.md from its alarm table (co2hr.alarms.ALARMS with the `#: cause:` /
`#: action:` lines above each row, rig.regs.fwdoc.alarms()): the documents
cannot drift from what the firmware serves. `--check` exits 1 when a committed file is
stale."""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path

import rig.fw  # noqa: F401  (puts firmware/ on sys.path)
from co2hr import VERSION
from co2hr.modbus import registers as R
from co2hr.modbus.unlock import FREE_TRIES, WAIT_MAX_S, wait_s
from rig.regs import fwdoc, homeassistant, order, table

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"
# What a BMS/SCADA import needs, one field each (docs/registers.md, "How to read it").
COLUMNS = ("table", "group", "address", "reference", "read_fc", "write_fc", "name", "type",
           "word_order", "scale", "unit", "min", "max", "default", "constraint", "access",
           "needs_unlock", "description")
CODES = 65535  # unlock codes 1..65535
FC = {"coil": "FC 1 read, 5/15 write", "discrete": "FC 2 read",
      "holding": "FC 3/23 read, 6/16/23 write", "input": "FC 4 read"}
TABLE_TITLES = {"coil": "Coils", "discrete": "Discrete inputs", "holding": "Holding registers",
                "input": "Input registers"}


def _num(v) -> str:
    if v is None or v == "":
        return ""
    return str(int(v)) if float(v).is_integer() else f"{v:g}"


def constraint(r: table.Reg) -> str:
    """The orders a setting takes part in (co2hr.settings ORDER): a write that would
    break one is refused with exception 3; several settings written in one FC 16 are
    checked together."""
    return "; ".join(order.constraints(r.name)) if r.src == R.S_SETTING else ""


def fields(r: table.Reg) -> dict[str, str]:
    """One register as the CSV's columns."""
    read_fc, write_fc = table.FUNCTION_CODES[r.table]
    return {"table": r.table, "group": r.group, "address": str(r.addr),
            "reference": r.reference, "read_fc": read_fc,
            "write_fc": write_fc if r.writable else "", "name": r.name, "type": r.type,
            "word_order": r.word_order, "scale": str(r.scale), "unit": r.unit,
            "min": _num(r.lo), "max": _num(r.hi), "default": _num(r.default),
            "constraint": constraint(r),
            "access": r.access, "needs_unlock": "yes" if r.needs_unlock else "no",
            "description": r.desc}


def documented() -> list[table.Reg]:
    """Every register the firmware serves, in the table's order, the mirror last."""
    return table.REGS + table.MIRROR


def render_csv() -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, COLUMNS, lineterminator="\n")
    w.writeheader()
    for r in documented():
        w.writerow(fields(r))
    return buf.getvalue()


def _md_cell(v) -> str:
    return str(v).replace("|", "\\|")


def _addr(table_name: str, name: str) -> int:
    return next(r[1] for r in R.rows() if r[0] == table_name and r[2] == name)


def _code_figures() -> tuple[int, float]:
    """Codes one line compares in a day however fast a master sends (each the moment the
    wait after the previous one ends), and the days the first half of the code space
    takes (the expected time to find a random code)."""
    t, n, day = 0, 0, 86400
    per_day = 0
    while n < CODES // 2:
        n += 1  # code n is compared at t
        if t < day:
            per_day = n
        if n < CODES // 2:
            t += wait_s(n)
    return per_day, t / day


def _unlock_section() -> list[str]:
    code = R.UNLOCK_CODE
    per_day, half_days = _code_figures()
    return [
        "## Service unlock",
        "",
        "Every setting (holding 0.. and 400..) and every command (holding 500.., coils) is",
        "write-protected. A master unlocks by writing the code to holding register **600**",
        "(`service_unlock`). The unlock is that master's alone, for `unlock_timeout_s`",
        "seconds (default 600): one TCP connection (it ends when the connection closes),",
        "the RTU line (every request on it until the timeout), or the HIL link. Writing 0",
        "locks again; reading 600 gives the seconds left; discrete input 300 is 1 while",
        "the asking connection or line is unlocked.",
        "",
        "* The code is the setting `unlock_code` (holding %d), factory code **%d**. It"
        % (_addr("holding", "unlock_code"), code),
        "  reads 0, is changed like any setting while unlocked, and writing 0 to it leaves",
        "  it as it is. Change it at commissioning to a random number 1..65535 (discrete",
        "  input %d `unlock_code_default` is 1 until then), e.g. with"
        % _addr("discrete", "unlock_code_default"),
        "  `rig set unlock_code 48213 --tcp HOST:502`; later `rig set` calls take",
        "  `--code 48213`.",
        "* A wrong code gets the reply of any refused write (exception 1). The first %d"
        % FREE_TRIES,
        "  wrong codes cost nothing; the next makes the line wait 1 s before it compares",
        "  another code, and each further one doubles the wait, up to %d s. Codes sent"
        % WAIT_MAX_S,
        "  during a wait are refused unread and do not lengthen it.",
        "  An unlock resets the count. `unlock_wait_s` and `unlock_failures` (input %d, %d)"
        % (_addr("input", "unlock_wait_s"), _addr("input", "unlock_failures")),
        "  show the asking line's; `mb_unlock_refused` counts every refused code. All TCP",
        "  connections share one wait; the RTU line and the link have their own, so a",
        "  guesser on the network cannot lock a technician on the RS-485 line out.",
        "  However fast a master sends, one line compares at most %d codes a day: %.2f %%"
        % (per_day, 100.0 * per_day / CODES),
        "  of the %s, and half of them take %d days (without the wait, the ~1,800"
        % (f"{CODES:,}", half_days),
        "  requests/s the firmware serves over TCP (`make bench`) would try them all in",
        "  %d s)." % round(CODES / 1800),
        "* Commands need the unlock too: manual values drive the outputs, `manual_release`",
        "  ends a technician's manual hold, `alarm_ack` silences the alarm relay and",
        "  `alarm_hist_clear` erases the record.",
        "* A broadcast (RTU address 0) never unlocks and writes nothing, commands included:",
        "  it has no sender to hold an unlock and gets no reply to show a refusal; each one",
        "  refused is counted in `mb_broadcast_refused`.",
        "* `tcp_read_only` = 1 refuses every write over TCP, the unlock too (RTU is not",
        "  affected). `tcp_allow_ip1..4` and `tcp_allow_prefix` admit only the clients of",
        "  one network (e.g. 192.168.1.0 and 24); others are refused at connect",
        "  (`mb_tcp_not_allowed`).",
        "",
        "Over TCP the unlock and the writes go on one connection (`rig set`, QModMaster,",
        "a BMS): mbpoll opens a new connection for every call, so there a write after a",
        "separate unlock call is refused. On the RTU line the unlock holds between calls:",
        "",
        "```",
        "mbpoll -m rtu -b 19200 -P even -0 -1 -a 1 -t 4 -r 600 /dev/ttyUSB0 %d" % code,
        "mbpoll -m rtu -b 19200 -P even -0 -1 -a 1 -t 4 -r 1 /dev/ttyUSB0 1040"
        "   # p_gc_max_bar = 104.0",
        "```",
    ]


def _how_to_read() -> list[str]:
    n_in = sum(1 for r in table.REGS if r.group == "Measurements")
    return [
        "## How to read it",
        "",
        "* `address` is the 0-based protocol address (mbpoll: use `-0`); `reference` is the",
        "  1-based number of tools that count from 1 (modpoll, Modbus Poll, many BMS):",
        "  30001 = input register 0, 40001 = holding register 0, 10001 = discrete input 0,",
        "  00001 = coil 0.",
        "* Value on the wire = engineering value x `scale`, as a 16-bit integer: `i16` is",
        "  signed (two's complement), `u16` unsigned. `u32` takes two registers, **high",
        "  word first** (the address listed and the next one; mbpoll: `-t 3:int -B`).",
        "* An input register of an invalid signal reads **-32768 (0x8000)**; the validity",
        "  bits are discrete inputs 0..",
        "* Holding registers 1000..1999 mirror input registers 0..999 read-only, for masters",
        "  that only use FC 3 (holding 1000 + a = input a).",
        "* Every register group owns a block of addresses: from its first address to the next",
        "  group or the next hundred, whichever comes first. A read of an unused address",
        "  inside a block gives 0, so one request can read a whole block: FC 4 0..%d reads"
        % (n_in - 1),
        "  every measurement, and FC 4 0..124 the measurements and the outputs. A read",
        "  reaching outside every block, and any write to an unused address, gets",
        "  exception 2.",
        "* Settings and commands need the service unlock first (`needs_unlock`, see below).",
        "* Function codes: 1, 2, 3, 4, 5, 6, 15, 16, 23, 43/14 (device identification:",
        "  vendor, product code, firmware version, product name, board name as model name).",
        "* Exceptions: 1 unsupported function, or a settings write while locked; 2 address",
        "  not mapped or read-only; 3 quantity/byte count/length wrong, a value outside its",
        "  range, or values that would break an order between settings (nothing is written);",
        "  4 the controller failed to act.",
        "* Linked settings (`constraint`): the HP ladder p_gc_max_bar < p_hp_alarm_bar <",
        "  p_hp_ovr_bar (at least p_gc_max_bar + 1 bar) < p_hp_stop_bar (at least",
        "  p_hp_ovr_bar + 1 bar, at most 109: 1 bar below the 110 bar design limit), the",
        "  receiver limits p_rec_lo_bar + 1 <= p_rec_sp_bar <= p_rec_hi_bar - 1, each min",
        "  below its max. A write that would break one is refused with exception 3 and",
        "  changes nothing, whatever the order of the writes. The values of one FC 16 (or",
        "  FC 23) are checked together: to move a whole ladder, write it in one request",
        "  (holding %d..%d; the registers in between as they read), or one register at a"
        % (_addr("holding", "p_gc_max_bar"), _addr("holding", "p_hp_stop_bar")),
        "  time in an order that keeps the ladder (up: the stop first; down: p_gc_max",
        "  first). `rig set` takes several NAME VALUE pairs and writes them so.",
        "* RTU: slave address `mb_unit` (default 1), 19200 baud 8E1 by default; address 0",
        "  is broadcast (never answered, writes nothing). TCP: port `tcp_port` (default",
        "  502), any unit identifier is answered and echoed. Communication settings take",
        "  effect after the answer to the write that changed them.",
        "* Integration: `registers.csv` has every register with the fields an import needs;",
        "  `home-assistant-modbus.yaml` is ready for Home Assistant's Modbus integration",
        "  (see its header).",
        "",
    ]


MD_COLUMNS = ("address", "reference", "name", "type", "unit", "scale", "min", "max",
              "default", "constraint", "access", "description")


def _md_group(regs: list[table.Reg]) -> list[str]:
    r0, r1 = regs[0], regs[-1]
    last = r1.addr + r1.width - 1
    span = "%d..%d" % (r0.addr, last) if last > r0.addr else "%d" % r0.addr
    out = ["### %s (%s %s)" % (r0.group, r0.table, span), "",
           "| " + " | ".join(MD_COLUMNS) + " |", "|" + "---|" * len(MD_COLUMNS)]
    for r in regs:
        f = fields(r)
        if r.needs_unlock:
            f["access"] += " (unlock)"
        out.append("| " + " | ".join(_md_cell(f[c]) for c in MD_COLUMNS) + " |")
    return out + [""]


def render_md() -> str:
    out = [
        "# Modbus register map",
        "",
        "Generated by `tools/gen_registers_doc.py` from the firmware's own table",
        "(`firmware/co2hr/modbus/registers.py`) for firmware %s. Do not edit: run"
        " `make docs`." % VERSION,
        "Machine-readable copy: `registers.csv`.",
        "",
    ] + _how_to_read() + _unlock_section() + [""]
    cur_table = None
    groups: list[list[table.Reg]] = []
    for r in table.REGS:
        if groups and groups[-1][0].table == r.table and groups[-1][0].group == r.group:
            groups[-1].append(r)
        else:
            groups.append([r])
    for regs in groups:
        t = regs[0].table
        if t != cur_table:
            cur_table = t
            out += ["## %s (%s)" % (TABLE_TITLES[t], FC[t]), ""]
        out += _md_group(regs)
    m0, m1 = table.MIRROR[0], table.MIRROR[-1]
    out += ["## %s (holding %d..%d, FC 3 read)" % (m0.group, R.MIRROR_BASE,
                                                   2 * R.MIRROR_BASE - 1), "",
            "Holding register %d + a reads input register a (%d..%d in this firmware, the"
            % (R.MIRROR_BASE, m0.addr, m1.addr + m1.width - 1),
            "unused addresses of the input blocks as 0): the same names, types, scales and",
            "descriptions as the input registers above; writes get exception 2.",
            "`registers.csv` lists every mirrored register.", ""]
    return "\n".join(out).replace("\n## ", "\n\n## ").replace("\n\n\n", "\n\n").rstrip() \
        + "\n"


ALARM_COLUMNS = ("code", "name", "bit", "priority", "latched", "delay", "text", "cause",
                 "action")


def alarm_fields(a: fwdoc.AlarmDoc) -> dict[str, str]:
    """One alarm as docs/alarms.md's columns."""
    return {"code": str(a.code), "name": a.name,
            "bit": "alarm_word_%d bit %d" % (a.word, a.word_bit),
            "priority": "%d %s" % (a.priority, a.priority_word),
            "latched": "yes" if a.latched else "no", "delay": "%s s" % _num(a.delay_s),
            "text": a.text, "cause": a.cause, "action": a.action}


def render_alarms_md() -> str:
    w0 = table.lookup("alarm_word_0").addr
    u0 = table.lookup("alarm_unacked_word_0").addr
    c0 = table.lookup("alarm_cause_word_0").addr
    f0 = table.lookup("%s_fault" % table.REGS[0].name).addr
    d0 = table.lookup("alarm_%s" % fwdoc.alarms()[0].name).addr
    out = [
        "# Alarms",
        "",
        "Generated by `tools/gen_registers_doc.py` from the firmware's alarm table",
        "(`firmware/co2hr/alarms.py`: each row, and the `#: cause:` / `#: action:` lines",
        "above it) for firmware %s. Do not edit: run `make docs`. `rig alarms --list`" % VERSION,
        "prints the same table; `rig alarms` the active alarms of a device with these texts.",
        "",
        "## How to read it",
        "",
        "* `code` is the alarm's number: the alarm history, the event log and `rig` name",
        "  alarms by it. `bit` is its row in the table, which is not the code: bit b of",
        "  `alarm_word_k` is row 16k + b. The same bit is set in `alarm_word_k` (input",
        "  register %d + k) while the alarm is active, in `alarm_unacked_word_k` (input" % w0,
        "  %d + k) while it is active and not acknowledged, and in `alarm_cause_word_k`" % u0,
        "  (input %d + k) while its cause is present (also while its delay runs); discrete" % c0,
        "  input %d + row is the active bit alone. Why a sensor's input is invalid reads" % d0,
        "  at input %d.. (`p_gc_bar_fault`, ...; docs/registers.md)." % f0,
        "* Priority: 1 critical (the plant is protected by stopping or overriding), 2 alarm,",
        "  3 warning. Priority 1-2 alarms hold the common alarm relay while active and not",
        "  acknowledged; warnings never do.",
        "* `delay`: the cause must persist this long before the alarm is raised. A limit",
        "  alarm clears once its value is back inside the limit by its hysteresis",
        "  (docs/control.md names each).",
        "* `latched`: the alarm stays active after its cause has gone until it is",
        "  acknowledged. Acknowledging an alarm whose cause is still present releases the",
        "  relay; the alarm stays active and clears with its cause.",
        "* Acknowledge all with command `alarm_ack` = 1, one alarm with `alarm_ack_code` =",
        "  its code (holding registers %d, %d; both need the service unlock), or" % (
            table.lookup("alarm_ack").addr, table.lookup("alarm_ack_code").addr),
        "  `rig ack [CODE|all]`, which says what cleared and what is still active, and why.",
        "",
        "## The alarms",
        "",
        "| " + " | ".join(ALARM_COLUMNS) + " |",
        "|" + "---|" * len(ALARM_COLUMNS),
    ]
    for a in fwdoc.alarms():
        f = alarm_fields(a)
        out.append("| " + " | ".join(_md_cell(f[c]) for c in ALARM_COLUMNS) + " |")
    return "\n".join(out) + "\n"


def generated() -> dict[Path, str]:
    """Every generated file and its text."""
    return {DOCS / "registers.md": render_md(), DOCS / "registers.csv": render_csv(),
            DOCS / homeassistant.FILE_NAME: homeassistant.render(),
            DOCS / "alarms.md": render_alarms_md()}


def main(argv: list[str]) -> int:
    files = generated()
    if "--check" in argv:
        stale = [p.name for p, text in files.items()
                 if not p.exists() or p.read_text() != text]
        if stale:
            print("stale: %s (run make docs)" % ", ".join(stale))
            return 1
        print("docs/registers.*, docs/alarms.md, docs/%s up to date" % homeassistant.FILE_NAME)
        return 0
    DOCS.mkdir(exist_ok=True)
    for p, text in files.items():
        p.write_text(text)
        print("wrote", p.relative_to(REPO))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
