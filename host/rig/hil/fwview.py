"""The closed-loop runner's view of the firmware: status, counters, alarm words and
settings by register name, read and written through the firmware's own Modbus server
over target.modbus() (rig.regs.master.PduMaster), as any master would.
"""

from __future__ import annotations

from co2hr import status as S
from co2hr.modbus import registers as R
from co2hr.settings import HP_FIRST, SCHEMA
from rig.regs import codec, order, table
from rig.regs.master import ModbusError, PduMaster
from rig.targets.base import FirmwareError, Target

UNIT = 1  # Modbus unit address used on the HIL link
POLL_TABLES = ("input", "holding", "discrete", "coil")  # a polling master's order
COUNTER_NAMES = tuple(r[0] for r in S.COUNTERS)


def _sampled() -> list[tuple[str, table.Reg]]:
    """(trace name, register) of what the runner samples: status, counters and alarm
    words. uptime_s is read where every master reads the device's uptime, the identity
    block (input 905), rather than from the counters (input 300)."""
    names = [r[0] for r in S.STATUS] + [n for n in COUNTER_NAMES if n != "uptime_s"]
    out = [(n, table.lookup(n)) for n in names]
    out.append(("uptime_s", table.lookup("input:uptime_s")))
    out += [(r.name, r) for r in table.REGS if r.name.startswith("alarm_word_")]
    return out


def _by_name(pairs: list[tuple[str, table.Reg]]):
    """A plan over the registers and, per label, the name the runner uses."""
    return table.plan([r for _n, r in pairs]), {r.label: n for n, r in pairs}


class FirmwareView:
    """One target's firmware by register name; `requests`/`exceptions` count the traffic
    (the runner's own reads and writes and any polling scenario)."""

    def __init__(self, target: Target) -> None:
        self.master = PduMaster(lambda pdu: target.modbus(UNIT, pdu))
        self._sample_plan, self._sample_names = _by_name(_sampled())
        self._settings_plan, self._settings_names = _by_name(
            [(row[0], table.lookup(row[0], writable=True)) for row in SCHEMA[:HP_FIRST]])

    @property
    def requests(self) -> int:
        return self.master.requests

    @property
    def exceptions(self) -> int:
        return self.master.exceptions

    def _read(self, plan, names: dict[str, str]) -> dict[str, float]:
        return {names[label]: v for label, v in self.master.read_plan(plan).items()}

    def connect(self) -> None:
        """First contact after a (re)boot: the firmware answers over Modbus with this
        host's register map (another map would be decoded wrongly)."""
        mine = R.regmap_id()
        theirs = int(self.master.read([table.lookup("regmap_id")])["regmap_id"])
        if theirs != mine:
            raise FirmwareError(f"the firmware's register map is 0x{theirs:04x}, this host "
                                f"decodes 0x{mine:04x}: build both from the same tree")

    def sample(self) -> dict[str, float]:
        """Status, counters and alarm words by name (in register order)."""
        return self._read(self._sample_plan, self._sample_names)

    def counters(self, sample: dict[str, float]) -> dict[str, float]:
        """The counters of a sample, in the firmware's order."""
        return {c: sample[c] for c in COUNTER_NAMES if c in sample}

    def settings(self) -> dict[str, float]:
        return self._read(self._settings_plan, self._settings_names)

    def read(self, names) -> dict[str, float]:
        """Registers by name or label; "all": every value as `rig read` lists them."""
        regs = table.all_regs() if names == "all" else [table.lookup(n) for n in names]
        return self.master.read(regs)

    def write(self, name: str, value: float) -> None:
        """A setting or command by name (the service unlock first for a setting)."""
        r = table.lookup(name, writable=True)
        self.master.write(r, codec.encode(r, value))

    def write_settings(self, values: dict[str, float]) -> None:
        """Settings by name in one block write per holding group, checked by the firmware
        as a whole (rig.regs.order: OrderError names a broken order)."""
        order.write_settings(self.master, values, R.UNLOCK_CODE)

    def poll_plan(self, names) -> list:
        """Requests covering the named registers, or with "all" every register of the
        map, as a master polling "everything" sends them: the registers it asks for
        back to back, one table after the other."""
        if names != "all":
            return table.plan([table.lookup(n) for n in names], gaps=False)
        return [p for t in POLL_TABLES for p in table.plan(table.every_register(t), gaps=False)]

    def poll(self, request) -> bool:
        """One request of a poll plan; False when the firmware refused it."""
        table_name, addr, qty, _members = request
        try:
            self.master.read_words(table_name, addr, qty)
        except ModbusError:
            return False
        return True
