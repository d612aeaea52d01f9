"""The order between settings (co2hr.settings ORDER: the HP ladder, the receiver limits,
each min below its max) as a master sees it: the constraints a setting takes part in (the
register map), which one a set of values breaks (in words, with the values), and writing
several settings the way the controller checks them: as one block.

The rule is the firmware's own code (co2hr.settings.Settings.broken/order_text) run on
the host: the controller refuses the same writes with exception 3 and changes nothing.
"""

from __future__ import annotations

from co2hr import settings as S
from rig.regs import codec, table
from rig.regs.master import Master


class OrderError(ValueError):
    """Values that break an order between settings: one line naming the constraint."""


def constraints(name: str) -> list[str]:
    """The constraints setting `name` takes part in, in words."""
    out = []
    for c in range(0, len(S.ORDER), 3):
        if name in (S.SCHEMA[S.ORDER[c]][0], S.SCHEMA[S.ORDER[c + 1]][0]):
            out.append(S.order_text(c))
    return out


def broken(values: dict[str, float]) -> str | None:
    """The first constraint the settings `values` (by name; the others at their defaults)
    break, in words with the two values; None when they keep every order."""
    s = S.Settings()
    for name, v in values.items():
        k = S.SCHEMA.find(name)
        if k >= 0:
            s.values[k] = v
    c = s.broken()
    if c < 0:
        return None
    lo, hi = S.SCHEMA[S.ORDER[c]][0], S.SCHEMA[S.ORDER[c + 1]][0]
    return f"{S.order_text(c)} ({lo} {values.get(lo, s.values[S.ORDER[c]]):g}, " \
           f"{hi} {values.get(hi, s.values[S.ORDER[c + 1]]):g})"


def settings_regs(app: str = "supermarket") -> list[table.Reg]:
    """The settings registers of the application's map."""
    regs = [table.lookup(row[0], writable=True) for row in S.SCHEMA]
    return [r for r in regs if not r.app or r.app == app]


def write_settings(master: Master, values: dict[str, float], code: int) -> None:
    """Write settings by name as one FC 16 per holding block (control, communication),
    over the span of those named; the registers in between are written back as they
    read (unchanged, and the unlock code reads 0, which leaves it as it is), so the
    controller checks the values together and a ladder moves in one write. A write the
    controller refuses for an order (exception 3) raises OrderError naming the
    constraint; any other refusal the master's own error."""
    regs = {r.name: r for r in settings_regs()}
    blocks: dict[int, list[table.Reg]] = {}
    for name in values:
        r = regs[name]
        blocks.setdefault(r.addr // 100, []).append(r)
    for members in blocks.values():
        lo = min(r.addr for r in members)
        hi = max(r.addr for r in members)
        span = sorted((r for r in regs.values() if lo <= r.addr <= hi), key=lambda r: r.addr)
        words = master.read_words("holding", lo, hi - lo + 1)  # (settings are contiguous)
        raws = [codec.encode(r, values[r.name]) if r.name in values else words[r.addr - lo]
                for r in span]
        try:
            if len(span) == 1:
                master.write(span[0], raws[0], code)
            else:
                master.write_regs(span, raws, code)
        except Exception as e:
            why = "exception 3" in str(e) and _why(master, regs, values)
            if why:
                names = ", ".join(f"{n} = {v:g}" for n, v in values.items())
                raise OrderError(f"{names}: refused by the controller (exception 3, nothing "
                                 f"changed): {why}") from None
            raise


def _why(master: Master, regs: dict, values: dict[str, float]) -> str | None:
    current = master.read(list(regs.values()))
    return broken({**{r.name: current[r.label] for r in regs.values()}, **values})
