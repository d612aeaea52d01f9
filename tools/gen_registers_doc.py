"""Generate docs/registers.md and docs/registers.csv from the firmware's register
table (co2hr.modbus.registers, imported under CPython): the document cannot drift
from what the firmware serves. `--check` exits 1 when the committed files are stale."""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path

import rig.fw  # noqa: F401  (puts firmware/ on sys.path)
from co2hr import VERSION
from co2hr.modbus import registers as R
from co2hr.modbus.unlock import FREE_TRIES, WAIT_MAX_S, wait_s
from rig.regs import fwdoc

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"
COLUMNS = ("table", "address", "name", "unit", "scale", "type", "access", "min", "max",
           "description")
CODES = 65535  # unlock codes 1..65535
FC = {"coil": "FC 1 read, 5/15 write", "discrete": "FC 2 read",
      "holding": "FC 3/23 read, 6/16/23 write", "input": "FC 4 read"}


def render_csv() -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(COLUMNS)
    for r in fwdoc.rows():
        w.writerow(r)
    return buf.getvalue()


def _md_cell(v) -> str:
    return str(v).replace("|", "\\|")


def _addr(table: str, name: str) -> int:
    return next(r[1] for r in R.rows() if r[0] == table and r[2] == name)


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


def render_md() -> str:
    out = [
        "# Modbus register map",
        "",
        "Generated by `tools/gen_registers_doc.py` from the firmware's own table",
        "(`firmware/co2hr/modbus/registers.py`) for firmware %s. Do not edit: run"
        " `make docs`." % VERSION,
        "Machine-readable copy: `registers.csv`.",
        "",
        "## How to read it",
        "",
        "* Addresses are 0-based protocol addresses (mbpoll: use `-0`; tools that count",
        "  from 1, such as modpoll, show holding register 0 as 40001).",
        "* Value on the wire = engineering value x scale, as a 16-bit integer: `i16` is",
        "  signed (two's complement), `u16` unsigned. `u32` takes two registers, **high",
        "  word first** (the address listed and the next one; mbpoll: `-t 3:int -B`).",
        "* An input register of an invalid signal reads **-32768 (0x8000)**; the validity",
        "  bits are discrete inputs 0..",
        "* Holding registers 1000..1999 mirror input registers 0..999 read-only, for masters",
        "  that only use FC 3.",
        "* A read or write must cover mapped addresses only: a gap gives exception 2.",
        "* Function codes: 1, 2, 3, 4, 5, 6, 15, 16, 23, 43/14 (device identification:",
        "  vendor, product code, firmware version, product name, board name as model name).",
        "* Exceptions: 1 unsupported function, or a settings write while locked; 2 address",
        "  not mapped or read-only; 3 quantity/byte count/length wrong or a value outside its",
        "  range (nothing is written); 4 the controller failed to act.",
        "* RTU: slave address `mb_unit` (default 1), 19200 baud 8E1 by default; address 0",
        "  is broadcast (never answered, writes nothing). TCP: port `tcp_port` (default",
        "  502), any unit identifier is answered and echoed. Communication settings take",
        "  effect after the answer to the write that changed them.",
        "",
    ] + _unlock_section() + [""]
    cur = None
    for r in fwdoc.rows():
        if r[0] != cur:
            cur = r[0]
            out += ["## %s (%s)" % ({"coil": "Coils", "discrete": "Discrete inputs",
                                     "holding": "Holding registers",
                                     "input": "Input registers"}[cur], FC[cur]), "",
                    "| address | name | unit | scale | type | access | min | max | description |",
                    "|---|---|---|---|---|---|---|---|---|"]
        out.append("| " + " | ".join(_md_cell(v) for v in r[1:]) + " |")
    return "\n".join(out).replace("\n## ", "\n\n## ").replace("\n\n\n", "\n\n") + "\n"


def main(argv: list[str]) -> int:
    files = {DOCS / "registers.md": render_md(), DOCS / "registers.csv": render_csv()}
    if "--check" in argv:
        stale = [p.name for p, text in files.items()
                 if not p.exists() or p.read_text() != text]
        if stale:
            print("stale: %s (run make docs)" % ", ".join(stale))
            return 1
        print("docs/registers.* up to date")
        return 0
    DOCS.mkdir(exist_ok=True)
    for p, text in files.items():
        p.write_text(text)
        print("wrote", p.relative_to(REPO))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
