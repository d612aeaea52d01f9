"""`rig deploy`: the firmware onto a real board, through its maintenance boot.

Once the rig has ticked, the board's watchdog runs and cannot be stopped (8 s); copying
the firmware takes longer than that, and a board reset halfway through a copy would
boot into a package that is not all there. So nothing is copied while the rig runs.
The deploy is a plan of short mpremote sessions (docs/flashing.md):

1. enter   (one short session, well inside the watchdog period): write maint.flag;
           write the new bootsel.py and main.py each under a temporary name and rename
           it into place (atomic); reset. The board boots into maintenance (bootsel.py
           decides): no watchdog, no control loop, outputs held safe.
2. query   (ROMFS layouts only) `mpremote romfs query`: does the board have a ROMFS
           partition large enough? Asked in maintenance, where it costs no watchdog time.
3. copy    check that maint.flag is there; remove deploy.sha256 (the files stop being a
           verified set), co2hr/ and hil.flag; write the ROMFS image or copy co2hr/; copy
           the board file as board.json (and the site file as site.json); write hil.flag;
           write deploy.sha256 last.
4. verify  the board hashes every file (and the ROMFS partition) and prints sha256 and
           size; the host compares them with its build's MANIFEST.txt.
5. finish  remove crash.txt and maint.flag, reset: the board boots the new firmware.

Interrupted at any point, the board boots into maintenance or into a complete, verified
package: maint.flag stays until the copy has been verified, bootsel.py and main.py are
each replaced in one rename (bootsel.py first: an older main.py does not use it), and
bootsel.py boots the package only when every file matches deploy.sha256.
Every session after the first connects with `resume` (no soft reset): the interrupted
maintenance loop leaves the outputs in their safe state while files are copied.

ROMFS is the default because of the heap: MicroPython (1.25+, boards built with a
ROMFS partition) runs the .mpy bytecode in place from flash, so it costs no RAM. A
board without a ROMFS partition large enough gets co2hr/ on its filesystem instead,
as `--fs` asks: the bytecode is then copied into RAM at import.
"""

from __future__ import annotations

import hashlib
import re
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

MPREMOTE = [sys.executable, "-m", "mpremote"]
MARKER = "maint.flag"  # the names firmware/bootsel.py looks for
BOARD_MANIFEST = "deploy.sha256"
CRASHES = "crash.txt"

# Run on the board before copying: remove co2hr/ recursively, the HIL flag and the
# on-board manifest, whatever of them exists.
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
    "for _p in %r:\n"
    "    _rm(_p)\n"
)
# <name>.new over <name> in one rename (littlefs replaces the target atomically; a FAT
# filesystem refuses, and the old file is removed first: a board reset in between
# finds no main.py, or a main.py without its bootsel.py, and stops at the REPL, with no
# watchdog and nothing of ours running).
_SWAP = (
    "import os\n"
    "try:\n"
    "    os.rename(%(new)r, %(name)r)\n"
    "except OSError:\n"
    "    os.remove(%(name)r)\n"
    "    os.rename(%(new)r, %(name)r)\n"
)
TOP_FILES = ("bootsel.py", "main.py")  # in this order (rig.deploy.build.TOP_FILES)
# Refuse to copy unless the board is in maintenance (the enter step left the flag).
_CHECK_MARKER = "import os\nos.stat(%r)\nprint('maintenance flag found')\n" % MARKER
# Print 'H <sha256> <size> <path>' for each path, and the same for the ROMFS partition's
# first n bytes ('missing' for a file that is not there).
_HASHES = (
    "import hashlib, binascii\n"
    "_b = bytearray(512)\n"
    "def _h(p):\n"
    "    try:\n"
    "        f = open(p, 'rb')\n"
    "    except OSError:\n"
    "        return 'missing'\n"
    "    d = hashlib.sha256()\n"
    "    n = 0\n"
    "    while True:\n"
    "        k = f.readinto(_b)\n"
    "        if not k:\n"
    "            break\n"
    "        d.update(memoryview(_b)[:k])\n"
    "        n += k\n"
    "    f.close()\n"
    "    return binascii.hexlify(d.digest()).decode() + ' %%d' %% n\n"
    "for _p in %r:\n"
    "    print('H', _h(_p), _p)\n"
)
_HASH_ROMFS = (
    "import vfs\n"
    "_m = memoryview(vfs.rom_ioctl(2, 0))[:%d]\n"
    "print('H', binascii.hexlify(hashlib.sha256(_m).digest()).decode(), len(_m), ':romfs')\n"
)
ROMFS_NAME = ":romfs"  # how the verify step names the ROMFS partition


@dataclass(frozen=True)
class Step:
    name: str  # enter, query, copy, verify, finish
    what: str  # one line for the technician
    argv: tuple[str, ...]  # the mpremote arguments
    capture: bool = False  # its output is read by the host (query, verify)


@dataclass(frozen=True)
class Layout:
    """What goes where on the board, from one build (rig.deploy.build)."""

    mcu_dir: Path  # build/<mcu>/
    board_file: Path
    romfs: bool
    hil: bool = False
    site_file: Path | None = None

    def package(self) -> list[str]:
        """The package's files, relative to the build folder (co2hr/...)."""
        root = self.mcu_dir / "co2hr"
        return sorted(p.relative_to(self.mcu_dir).as_posix()
                      for p in root.rglob("*") if p.is_file())

    def on_board(self, rel: str) -> str:
        return "/rom/" + rel if self.romfs else rel

    def expected(self) -> dict[str, tuple[str, int]]:
        """sha256 and size of every file (and the ROMFS image) on the board after the
        copy, by the name the verify step prints."""
        def digest(p: Path) -> tuple[str, int]:
            data = p.read_bytes()
            return hashlib.sha256(data).hexdigest(), len(data)

        out = {name: digest(self.mcu_dir / name) for name in TOP_FILES}
        out["board.json"] = digest(self.board_file)
        if self.site_file is not None:
            out["site.json"] = digest(self.site_file)
        if self.romfs:
            out[ROMFS_NAME] = digest(self.mcu_dir / "co2hr.romfs")
        else:
            for rel in self.package():
                out[rel] = digest(self.mcu_dir / rel)
        return out

    def manifest_text(self) -> str:
        """deploy.sha256: what firmware/bootsel.py checks at every boot (main.py,
        bootsel.py and site.json are not in it: the two are each replaced in one rename,
        and a wrong site file only leaves the network off)."""
        lines = []
        for rel in ["board.json", *self.package()]:
            p = self.board_file if rel == "board.json" else self.mcu_dir / rel
            data = p.read_bytes()
            name = rel if rel == "board.json" else self.on_board(rel)
            lines.append(f"{hashlib.sha256(data).hexdigest()} {len(data)} {name}")
        return "\n".join(lines + [f"end {len(lines)}"]) + "\n"


def _chain(port: str, cmds: list[list[str]], resume: bool = True) -> tuple[str, ...]:
    argv = ["connect", port] + (["resume"] if resume else [])
    for k, c in enumerate(cmds):
        if k:
            argv.append("+")  # mpremote's separator between chained commands
        argv += c
    return tuple(argv)


def enter_step(port: str, mcu_dir: Path) -> Step:
    """Marker, bootsel.py and main.py, reset: the one session that may run while the
    watchdog does."""
    cmds = [["exec", f"open({MARKER!r}, 'w').write('rig deploy')"]]
    for name in TOP_FILES:
        new = name[:-3] + ".new"
        cmds += [["fs", "cp", str(mcu_dir / name), ":" + new],
                 ["exec", _SWAP % {"new": new, "name": name}]]
    return Step("enter", "maint.flag, bootsel.py and main.py, reset into maintenance",
                _chain(port, cmds + [["reset"]]))


def query_step(port: str) -> Step:
    return Step("query", "ask for the ROMFS partition", _chain(port, [["romfs", "query"]]),
                capture=True)


def copy_steps(port: str, lay: Layout, manifest: Path) -> list[Step]:
    """copy, verify, finish for a layout; manifest: where deploy.sha256 was written."""
    code = (["romfs", "deploy", str(lay.mcu_dir / "co2hr.romfs")] if lay.romfs
            else ["fs", "cp", "-r", str(lay.mcu_dir / "co2hr"), ":"])
    cmds = [["exec", _CHECK_MARKER],
            ["exec", _CLEAN % ((BOARD_MANIFEST, "co2hr", "hil.flag"),)], code,
            ["fs", "cp", str(lay.board_file), ":board.json"]]
    if lay.site_file is not None:
        cmds.append(["fs", "cp", str(lay.site_file), ":site.json"])
    if lay.hil:
        cmds.append(["exec", "open('hil.flag', 'w').close()"])
    cmds.append(["fs", "cp", str(manifest), ":" + BOARD_MANIFEST])
    expected = lay.expected()
    names = sorted(n for n in expected if n != ROMFS_NAME)
    verify = _HASHES % (tuple(lay.on_board(n) if n.startswith("co2hr/") else n
                              for n in [*names, BOARD_MANIFEST]),)
    if lay.romfs:
        verify += _HASH_ROMFS % expected[ROMFS_NAME][1]
    where = "into the ROMFS partition" if lay.romfs else "onto the filesystem"
    return [
        Step("copy", f"the firmware {where}, board.json, deploy.sha256", _chain(port, cmds)),
        Step("verify", "read back sha256 and size of every file",
             _chain(port, [["exec", verify]]), capture=True),
        Step("finish", "remove maint.flag, reset into the new firmware", _chain(port, [
            ["exec", _CLEAN % ((CRASHES, MARKER),)], ["reset"]]))]


def check_hashes(output: str, lay: Layout, manifest_text: str) -> list[str]:
    """What the verify step's output says differs from the build ([]: all equal)."""
    want = dict(lay.expected())
    want[BOARD_MANIFEST] = (hashlib.sha256(manifest_text.encode()).hexdigest(),
                            len(manifest_text.encode()))
    got = {}
    for ln in output.splitlines():
        w = ln.split()
        if len(w) == 4 and w[0] == "H":
            got[w[3].removeprefix("/rom/")] = (w[1], int(w[2]))
        elif len(w) == 3 and w[0] == "H" and w[1] == "missing":
            got[w[2].removeprefix("/rom/")] = ("missing", 0)
    bad = []
    for name, (sha, size) in want.items():
        g = got.get(name)
        if g is None:
            bad.append(f"{name}: not read back")
        elif g[0] == "missing":
            bad.append(f"{name}: missing on the board")
        elif g != (sha, size):
            bad.append(f"{name}: {g[1]} B sha256 {g[0][:12]}.. on the board, "
                       f"{size} B {sha[:12]}.. built")
    return bad


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


def command_line(argv: tuple[str, ...] | list[str]) -> str:
    """One mpremote session as a shell command (what --dry-run prints)."""
    return " ".join(shlex.quote(a) for a in [*MPREMOTE, *argv])


# A runner runs one step: (mpremote exit code, its output when step.capture).
Runner = Callable[[Step], tuple[int, str]]
_RETRY = ("failed to access", "could not enter raw repl", "no device found")


def _mpremote(argv: tuple[str, ...], echo: bool) -> tuple[int, str]:
    """Run mpremote; its output as it comes (echo) and as text."""
    p = subprocess.Popen([*MPREMOTE, *argv], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    assert p.stdout is not None
    out = bytearray()
    while True:
        chunk = p.stdout.read1(4096)
        if not chunk:
            break
        out += chunk
        if echo:
            sys.stdout.write(chunk.decode(errors="replace"))
            sys.stdout.flush()
    return p.wait(), out.decode(errors="replace")


def mpremote_runner(tries: int = 8, wait_s: float = 1.0) -> Runner:
    """Runs steps with mpremote. A session right after a reset may find the port gone
    (USB re-enumerates) or the board still booting: it is tried again (every step can
    be: each one starts from what it finds on the board)."""
    def run(step: Step) -> tuple[int, str]:
        rc, out = 1, ""
        for _ in range(tries):
            rc, out = _mpremote(step.argv, echo=not step.capture)
            if rc == 0 or not any(s in out.lower() for s in _RETRY):
                break
            time.sleep(wait_s)
        if rc and step.capture:
            print(out.strip(), file=sys.stderr)
        return rc, out
    return run


@dataclass
class Deploy:
    """rig deploy, step by step (the CLI prints what it says; tests pass a fake runner)."""

    port: str
    lay: Layout
    image_size: int
    run: Runner
    say: Callable[[str], None] = print

    def _step(self, step: Step) -> tuple[int, str]:
        self.say(f"rig deploy: {step.name}: {step.what}")
        return self.run(step)

    def __call__(self, ask_romfs: bool) -> int:
        rc, _ = self._step(enter_step(self.port, self.lay.mcu_dir))
        if rc:
            self.say("rig deploy: the board did not take maint.flag, bootsel.py and main.py;"
                     " the package was not touched")
            return rc
        if ask_romfs and self.lay.romfs:
            rc, out = self._step(query_step(self.port))
            if rc:
                return self._stuck("the ROMFS query failed")
            use, why = romfs_choice(out, self.image_size)
            if not use:
                self.say(f"rig deploy: {why}: copying the firmware to the filesystem "
                         "instead (its bytecode then takes heap, see docs/flashing.md)")
                self.lay = Layout(self.lay.mcu_dir, self.lay.board_file, False,
                                  self.lay.hil, self.lay.site_file)
        with tempfile.TemporaryDirectory(prefix="rig-deploy-") as tmp:
            text = self.lay.manifest_text()
            manifest = Path(tmp) / BOARD_MANIFEST
            manifest.write_text(text)
            copy, verify, finish = copy_steps(self.port, self.lay, manifest)
            rc, _ = self._step(copy)
            if rc:
                return self._stuck("the copy failed")
            rc, out = self._step(verify)
            bad = check_hashes(out, self.lay, text) if rc == 0 else ["no answer"]
            if bad:
                for b in bad:
                    self.say("rig deploy: verify: " + b)
                return self._stuck("the files on the board differ from the build")
            rc, _ = self._step(finish)
            if rc:
                return self._stuck("maint.flag could not be removed")
        self.say(f"rig deploy: done: {len(self.lay.expected())} files verified; the board "
                 "boots its new firmware")
        return 0

    def _stuck(self, why: str) -> int:
        self.say(f"rig deploy: {why}. The board stays in maintenance (watchdog off, "
                 "outputs safe): run rig deploy again (docs/flashing.md)")
        return 1
