"""`rig deploy`: the firmware onto a real board in one mpremote session.

The session removes the old co2hr/ (a stale .py would shadow its .mpy), writes
co2hr.romfs to the board's ROMFS partition, copies main.py and the board file as
board.json, writes or removes hil.flag (HIL mode: the board serves the HIL link
instead of running the rig) and resets the board.

ROMFS is the default because of the heap: MicroPython (1.25+, boards built with a
ROMFS partition) runs the .mpy bytecode in place from flash, so it costs no RAM and
the heap after boot is ~62 KB (make bench, goal < 64 KB). The board is asked first
(`mpremote romfs query`); one without a ROMFS partition large enough gets co2hr/ on
its filesystem instead, as `--fs` asks: the bytecode is then copied into RAM at
import (~103 KB after boot).
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

# Run on the board before copying: remove co2hr/ recursively and the HIL flag,
# whatever of them exists.
_CLEAN = (
    "import os\n"
    "def _rm(p):\n"
    "    try:\n"
    "        st = os.stat(p)\n"
    "    except OSError:\n"
    "        return\n"
    "    if st[0] & 0x4000:\n"
    "        for n in os.listdir(p):\n"
    "            _rm(p + '/' + n)\n"
    "        os.rmdir(p)\n"
    "    else:\n"
    "        os.remove(p)\n"
    "_rm('co2hr')\n"
    "_rm('hil.flag')\n"
)
MPREMOTE = [sys.executable, "-m", "mpremote"]


def deploy_plan(port: str, board_file: Path, mcu_dir: Path, hil: bool,
                romfs: bool = True) -> list[str]:
    """The mpremote arguments (after `mpremote`) for one chained session."""
    code = (["romfs", "deploy", str(mcu_dir / "co2hr.romfs")] if romfs
            else ["fs", "cp", "-r", str(mcu_dir / "co2hr"), ":"])
    cmds = [["connect", port], ["exec", _CLEAN], code,
            ["fs", "cp", str(mcu_dir / "main.py"), ":main.py"],
            ["fs", "cp", str(board_file), ":board.json"]]
    if hil:
        cmds.append(["exec", "open('hil.flag', 'w').close()"])
    cmds.append(["reset"])
    argv = list(cmds[0])
    for k, c in enumerate(cmds[1:]):
        if k:
            argv.append("+")  # mpremote's separator between chained commands
        argv += c
    return argv


def query_romfs(port: str) -> subprocess.CompletedProcess:
    """`mpremote romfs query` on the board at port (its output says what it has)."""
    return subprocess.run([*MPREMOTE, "connect", port, "romfs", "query"],
                          capture_output=True, text=True, timeout=60)


def romfs_choice(query_output: str, image_size: int) -> tuple[bool, str]:
    """From the output of `mpremote romfs query`: (write the ROMFS image?, why not)."""
    m = re.search(r"ROMFS0 partition has size (\d+) bytes", query_output)
    if m is None:
        said = [ln.strip() for ln in query_output.splitlines() if "ROMFS" in ln]
        return False, said[0] if said else "no ROMFS partition on the board"
    size = int(m.group(1))
    if size < image_size:
        return False, (f"the ROMFS partition ({size:,} B) is smaller than the image "
                       f"({image_size:,} B)")
    return True, ""


def command_line(argv: list[str]) -> str:
    """The mpremote session as a shell command (what --dry-run prints)."""
    return " ".join(shlex.quote(a) for a in [*MPREMOTE, *argv])
