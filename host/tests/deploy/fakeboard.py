"""A board at the far end of mpremote, for the deploy tests.

The board has a filesystem (a real folder), optionally a ROMFS partition (bytes), a
watchdog, and a clock that moves with every mpremote command by as long as it takes
over the serial line: a file copy costs its bytes at RATE_BPS, an exec its code, a
ROMFS write its erase and its chunks, a reset the boot. An mpremote session (the argv
a deploy plan gives) is applied command by command; a power cut can be injected at any
moment, and the watchdog resets the board by itself once WDT_S have passed since the
rig's last tick, cutting whatever was being written. Writes land progressively (a
file copy cut halfway leaves half a file, as on FAT; littlefs would keep less).

What the board boots into is decided by the board's own files: firmware/bootsel.py's
decide() (run here under CPython, and again inside MicroPython by the tests), or, for
a main.py from a release before the maintenance boot, that release's behaviour: it
imports its package and runs it, or stops at an import error when the package is
not all there. The rig's watchdog starts at its first tick.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import sys
import types
from dataclasses import dataclass, field
from pathlib import Path

RATE_BPS = 8_000  # payload bytes per second through mpremote's raw REPL (USB, a Pico)
OVERHEAD_S = 0.12  # per command: raw-paste round trips
CONNECT_S = 0.6  # open the port, Ctrl-C, enter the raw REPL
BOOT_S = 1.5  # reset to main.py's first line
RIG_START_S = 2.0  # main.py to the rig's first tick (imports, hardware, build)
TICK_S = 1.0
WDT_S = 8.0
ERASE_S = 0.05  # one 4 KB flash block
BLOCK = 4096
CHUNK = 256  # mpremote fs cp writes 256-byte chunks

OLD_MAIN = (b"# main.py of a release before the maintenance boot: it imports its package\n"
            b"from co2hr import boot\n")
MAIN = (Path(__file__).resolve().parents[3] / "firmware" / "main.py").read_bytes()


class SessionLost(Exception):
    """The board went away under mpremote (reset, power cut): the step fails."""


@dataclass
class Release:
    """What a complete deploy of one firmware leaves: every file, by name."""

    files: dict[str, bytes]  # main.py, board.json, co2hr/..., deploy.sha256 (if any)
    romfs: bytes | None = None  # the image, when the package is in ROMFS
    package_dir: Path | None = None  # its co2hr/ (what /rom holds when romfs)

    def package(self) -> dict[str, bytes]:
        return {k: v for k, v in self.files.items() if k.startswith("co2hr/")}


@dataclass
class Boot:
    mode: str  # rig, hil, maintenance, maintenance-bare, repl (main.py stopped), none
    why: str = ""


@dataclass
class FakeBoard:
    root: Path
    romfs_size: int | None = None  # None: no ROMFS partition
    releases: list[Release] = field(default_factory=list)  # known complete images
    now: float = 0.0
    cut_at: float | None = None  # a power cut at this time
    log: list[tuple[float, str]] = field(default_factory=list)

    def __post_init__(self):
        self.fs = self.root / "fs"
        self.fs.mkdir(parents=True, exist_ok=True)
        self.partition = bytearray(b"\xff" * self.romfs_size) if self.romfs_size else None
        self.rom_mounted = True
        self.boot = Boot("none")
        self.running = False  # a program (main.py) is running
        self.wdt_deadline: float | None = None  # armed watchdog: reset at this time
        self.rig_start = 0.0
        self.boot_at = 0.0
        self.marks: list[float] = []  # the end of every command and chunk
        self.cmd_marks: list[float] = []  # the end of every command, file and block
        self.cuts = 0
        self.wdt_resets = 0

    # --- install and inspect -----------------------------------------------------------
    def install(self, rel: Release) -> None:
        """A board that already runs rel (deployed earlier), powered up at self.now."""
        for name, data in rel.files.items():
            p = self.fs / name
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes(data)
        if rel.romfs is not None:
            assert self.partition is not None
            self.partition[:len(rel.romfs)] = rel.romfs
        self.power_on(self.now)

    def files(self) -> dict[str, bytes]:
        return {p.relative_to(self.fs).as_posix(): p.read_bytes()
                for p in sorted(self.fs.rglob("*")) if p.is_file()}

    def romfs_image(self) -> bytes | None:
        """The complete release image the partition holds, or None."""
        if self.partition is None:
            return None
        for rel in self.releases:
            if rel.romfs is not None and bytes(self.partition[:len(rel.romfs)]) == rel.romfs:
                return rel.romfs
        return None

    def snapshot(self, dest: Path) -> None:
        """The board's files (and its ROMFS partition as romfs.bin) into dest."""
        shutil.copytree(self.fs, dest)
        if self.partition is not None:
            (dest / "romfs.bin").write_bytes(bytes(self.partition))

    # --- time, watchdog, power -------------------------------------------------------------
    def _advance(self, dt: float) -> None:
        """Move the clock; a watchdog reset or a power cut inside dt raises SessionLost
        with the clock at that moment."""
        end = self.now + dt
        events = []
        if self.wdt_deadline is not None and self.wdt_deadline <= end:
            events.append((self.wdt_deadline, "watchdog reset"))
        if self.cut_at is not None and self.cut_at <= end:
            events.append((self.cut_at, "power cut"))
        if not events:
            self.now = end
            self.marks.append(end)
            return
        at, what = min(events)
        self.now = at
        if what == "power cut":
            self.cut_at = None
            self.cuts += 1
        else:
            self.wdt_resets += 1
        self.log.append((at, what))
        self.power_on(at)
        raise SessionLost(what)

    def power_on(self, at: float) -> None:
        """Reset (power, watchdog or machine.reset()): boot from what is on the flash."""
        self.now = at
        self.boot_at = at
        self.rom_mounted = True
        self.boot = decide(self)
        self.log.append((at, f"boot: {self.boot.mode} {self.boot.why}".strip()))
        self.running = self.boot.mode in ("rig", "hil", "maintenance", "maintenance-bare")
        self.wdt_deadline = None  # the running rig feeds it every tick
        self.rig_start = at + BOOT_S + RIG_START_S

    def _interrupt(self) -> None:
        """mpremote's Ctrl-C: the running program stops; the rig's last feed was its
        last tick, so the watchdog bites WDT_S after that."""
        if self.running and self.boot.mode == "rig":
            if self.now < self.rig_start:
                self.wdt_deadline = None  # stopped before its first tick: never started
            else:
                last = self.rig_start + int((self.now - self.rig_start) / TICK_S) * TICK_S
                self.wdt_deadline = last + WDT_S
        self.running = False

    # --- an mpremote session ---------------------------------------------------------------
    def session(self, argv: tuple[str, ...] | list[str]) -> tuple[int, str]:
        """Apply one mpremote session; (exit code, its output)."""
        cmds = _split(list(argv))
        out = io.StringIO()
        assert cmds[0][0] == "connect", cmds
        try:
            # the port is back (USB) and mpremote gets in once the board has booted
            self._advance(max(0.0, self.boot_at + BOOT_S - self.now) + CONNECT_S)
            self._interrupt()
            for c in cmds[1:]:
                if c == ["resume"]:
                    continue
                if self._command(c, out):
                    break  # reset: the session ends
                self.cmd_marks.append(self.now)
        except SessionLost as e:
            out.write(f"mpremote: {e}: the device went away\n")
            return 1, out.getvalue()
        except BoardError as e:
            out.write(f"mpremote: {e}\n")
            return 1, out.getvalue()
        return 0, out.getvalue()

    def _command(self, c: list[str], out) -> bool:
        if c[0] == "exec":
            self._exec(c[1], out)
        elif c[:2] == ["fs", "cp"] and c[2] == "-r":
            self._copy_tree(Path(c[3]), c[4])
        elif c[:2] == ["fs", "cp"]:
            self._copy(_read(Path(c[2])), c[3])
        elif c[:2] == ["romfs", "query"]:
            self._advance(3 * OVERHEAD_S)
            if self.partition is None:
                out.write("ROMFS is not enabled on this device\n")
            else:
                out.write(f"ROMFS0 partition has size {len(self.partition)} bytes "
                          f"({len(self.partition) // BLOCK} blocks of {BLOCK} bytes each)\n")
        elif c[:2] == ["romfs", "deploy"]:
            self._romfs_deploy(_read(Path(c[2])))
        elif c == ["reset"]:
            self._advance(OVERHEAD_S)
            self.power_on(self.now)
            return True
        else:
            raise AssertionError(f"the fake board does not know mpremote {c}")
        return False

    def _exec(self, code: str, out) -> None:
        self._advance(OVERHEAD_S + len(code) / RATE_BPS)
        buf = io.StringIO()
        try:
            with _on_board(self), contextlib.redirect_stdout(buf):
                exec(_compiled(code, "<exec>"), {"__name__": "__main__"})
        except Exception as e:  # what mpremote reports as a failed exec
            out.write(buf.getvalue())
            raise BoardError(f"exec failed: {type(e).__name__}: {e}") from None
        out.write(buf.getvalue())

    def _copy(self, data: bytes, dest: str) -> None:
        assert dest.startswith(":")
        path = self.fs / dest[1:]
        if path.is_dir():
            path = path / "?"
        self._advance(OVERHEAD_S)
        if not path.parent.is_dir():
            raise BoardError(f"cp: {dest}: no such directory")
        done = 0  # bytes on the flash: the file is opened (truncated) before the first
        try:
            for k in range(0, len(data), CHUNK):
                self._advance(min(CHUNK, len(data) - k) / RATE_BPS)
                done = min(k + CHUNK, len(data))
        finally:
            path.write_bytes(data[:done])
        self.cmd_marks.append(self.now)

    def _copy_tree(self, src: Path, dest: str) -> None:
        assert dest == ":", dest
        files = sorted(p for p in src.rglob("*") if p.is_file())
        for d in sorted({p.parent for p in files}):
            self._advance(OVERHEAD_S)
            (self.fs / d.relative_to(src.parent)).mkdir(exist_ok=True)
        for p in files:
            self._copy(_read(p), ":" + p.relative_to(src.parent).as_posix())

    def _romfs_deploy(self, image: bytes) -> None:
        if self.partition is None:
            raise BoardError("ROMFS is not enabled on this device")
        self._advance(4 * OVERHEAD_S)
        self.rom_mounted = False  # vfs.umount('/rom')
        for off in range(0, len(image), BLOCK):
            self._advance(ERASE_S)
            self.partition[off:off + BLOCK] = b"\xff" * BLOCK
            self.cmd_marks.append(self.now)
        for off in range(0, len(image), BLOCK):
            chunk = image[off:off + BLOCK]
            self._advance(OVERHEAD_S + len(chunk) / RATE_BPS)
            self.partition[off:off + len(chunk)] = chunk
            self.cmd_marks.append(self.now)


_SOURCES: dict[tuple[Path, float], bytes] = {}


def _read(p: Path) -> bytes:
    """A host file mpremote sends (kept: the tests send the same build many times)."""
    key = (p, p.stat().st_mtime)
    if key not in _SOURCES:
        _SOURCES[key] = p.read_bytes()
    return _SOURCES[key]


class BoardError(Exception):
    """A command the board refused (an exec that raised, a copy to nowhere)."""


def _split(argv: list[str]) -> list[list[str]]:
    """['connect', p, 'resume', 'exec', c, '+', 'fs', ...] -> commands."""
    cmds = [argv[:2]]
    rest = argv[2:]
    if rest[:1] == ["resume"]:
        cmds.append(["resume"])
        rest = rest[1:]
    cur: list[str] = []
    for a in rest:
        if a == "+":
            cmds.append(cur)
            cur = []
        else:
            cur.append(a)
    if cur:
        cmds.append(cur)
    return cmds


class _Vfs:
    """What the deploy's exec code uses of MicroPython's vfs on this board."""

    def __init__(self, board: FakeBoard):
        self.board = board

    def rom_ioctl(self, cmd, *a):
        assert cmd == 2 and self.board.partition is not None
        return bytes(self.board.partition)


@contextlib.contextmanager
def _on_board(board: FakeBoard):
    """Run code as on the board: its filesystem as the current folder, /rom mapped to
    the package of the complete image the partition holds (none if it holds none)."""
    cwd = os.getcwd()
    real_open, real_stat = open, os.stat
    rom = _rom_dir(board)

    def path(p):
        p = os.fspath(p)
        if p.startswith("/rom/") or p == "/rom":
            if rom is None:
                raise FileNotFoundError(p)
            return str(rom.parent / p[len("/rom/"):]) if p != "/rom" else str(rom.parent)
        if os.path.isabs(p):
            raise PermissionError(f"{p}: outside the board")
        return p

    import builtins

    saved_vfs = sys.modules.get("vfs")
    sys.modules["vfs"] = _Vfs(board)  # type: ignore[assignment]
    builtins.open = lambda p, *a, **k: real_open(path(p), *a, **k)  # type: ignore[assignment]
    os.stat = lambda p, *a, **k: real_stat(path(p), *a, **k)  # type: ignore[assignment]
    os.chdir(board.fs)
    try:
        yield
    finally:
        os.chdir(cwd)
        builtins.open = real_open  # type: ignore[assignment]
        os.stat = real_stat  # type: ignore[assignment]
        if saved_vfs is None:
            sys.modules.pop("vfs", None)
        else:
            sys.modules["vfs"] = saved_vfs


def _rom_dir(board: FakeBoard) -> Path | None:
    """The co2hr/ folder /rom/co2hr shows: the complete image's, if mounted."""
    img = board.romfs_image()
    if img is None or not board.rom_mounted:
        return None
    for rel in board.releases:
        if rel.romfs == img:
            return rel.package_dir
    return None


_CODE: dict[tuple[str, str], object] = {}


def _compiled(src: str, name: str):
    if (src, name) not in _CODE:
        _CODE[(src, name)] = compile(src, name, "exec")
    return _CODE[(src, name)]


def _load_bootsel(board: FakeBoard):
    """The board's bootsel.py as a module."""
    mod = types.ModuleType("board_bootsel")
    exec(_compiled((board.fs / "bootsel.py").read_text(), "bootsel.py"), mod.__dict__)
    return mod


def decide(board: FakeBoard) -> Boot:
    """What the board boots into, from its files (see the module docstring)."""
    main = board.fs / "main.py"
    if not main.is_file():
        return Boot("none", "no main.py: the MicroPython REPL")
    if main.read_bytes() == OLD_MAIN:
        return _old_release_boot(board)
    if main.read_bytes() != MAIN:
        return Boot("repl", "main.py is not whole: MicroPython stops at its error")
    try:
        mod = _load_bootsel(board)
        with _on_board(board):
            mode, why, ok = mod.decide()
    except Exception as e:  # main.py says bootsel.py is missing or broken: the REPL
        return Boot("repl", f"bootsel.py: {type(e).__name__}: {e}")
    if mode == mod.RUN:
        return Boot("rig")
    if mode == mod.HIL:
        return Boot("hil")
    return Boot("maintenance" if ok else "maintenance-bare", why)


def _old_release_boot(board: FakeBoard) -> Boot:
    files = board.files()
    for rel in board.releases:
        pkg = rel.package()
        if rel.romfs is not None:
            whole = board.romfs_image() == rel.romfs and not any(
                n.startswith("co2hr/") for n in files)
        else:
            whole = {n: d for n, d in files.items() if n.startswith("co2hr/")} == pkg
        if whole:
            return Boot("rig")
    return Boot("repl", "ImportError: the package is not all there")


def complete_release(board: FakeBoard) -> Release | None:
    """The release whose package and board.json the board holds, whole, or None."""
    files = board.files()
    for rel in board.releases:
        if files.get("board.json") != rel.files["board.json"]:
            continue
        if rel.romfs is not None:
            if board.romfs_image() == rel.romfs and not any(
                    n.startswith("co2hr/") for n in files):
                return rel
        elif {n: d for n, d in files.items() if n.startswith("co2hr/")} == rel.package():
            return rel
    return None
