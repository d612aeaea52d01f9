# Device end of the HIL link: the host owns time and the terminals, the firmware
# runs unchanged behind LinkHardware. One ASCII line in, one line out, so the link
# can be watched in a terminal and driven over USB serial, a pty or a pipe.
# Protocol (docs/hil-link.md):
#   I <t_ms> <ok_mask_hex> <v0> .. <v14>  -> O <ticks> <overruns> <o0> .. <o7>
#   M <unit> <pdu_hex>                    -> R <pdu_hex> | R -      (Modbus PDU)
#   P                                     -> P co2hr <version> <board>
#   S          -> S <ticks> <overruns> <tick_alloc> <mem_alloc> <mem_free>
#   C <0|1>                               -> C <0|1>     (measure bytes allocated per tick)
#   U <t_us> <hex|->                      -> U <hex|->   (RTU line: bytes whose last stop
#        bit ended at t_us on the port clock; the reply is what the device transmitted)
#   T <conn> open|close|-|<hex>           -> T <hex|-> <0|1>  (Modbus TCP connection conn:
#        opened, closed by the client, polled, or bytes from the client; the reply is the
#        bytes the device sent on it and 1 when the device has closed it)
#   K [<unix_ms>|-]                       -> K <unix_ms>|-   (the board RTC: set it, as
#        the battery-backed chip on the host's side of the link; no argument: read it)
#   F <bytes> <name part>                 -> F <bytes>   (the power fails once the firmware
#        has written that many more bytes to flash files whose name holds <name part>)
#   X                                     -> X           (reboot: the loop ends)
#   Q                                     -> Q           (quit)
# A failing command answers "! <traceback line>"... then "E <type>: <message>"; after an
# F cut every command answers "E PowerFail: ..." (the board is dead until rebooted).

from micropython import const

from co2hr import VERSION, dates
from co2hr.hal import Hardware
from co2hr.io import N_IN, N_OUT
from co2hr.storage import OsFs
from co2hr.ticks import ticks_diff

_DAY_S = const(86400)


class PowerFail(Exception):
    """The power failed (the host's F command): nothing more reaches the flash."""


class _CutFile:
    def __init__(self, fs, f):
        self.fs = fs
        self.f = f

    def write(self, b):
        fs = self.fs
        if fs.dead:
            raise PowerFail("power failed")
        n = len(b)
        if n > fs.budget:
            self.f.write(b[:fs.budget])  # the bytes that made it before the cut
            fs.dead = True
            raise PowerFail("power failed mid-write")
        fs.budget -= n
        return self.f.write(b)

    def close(self):
        self.f.close()


class CutFs(OsFs):
    """The board's files, with a power cut the host can arm (F): the flash takes
    `budget` more bytes written to files whose name holds `match`, then nothing."""

    def __init__(self):
        self.budget = -1  # -1: not armed
        self.match = ""
        self.dead = False

    def arm(self, n, match):
        self.budget = n
        self.match = match

    def open(self, path, mode):
        if self.dead and "r" not in mode:
            raise PowerFail("power failed")
        f = open(path, mode)
        # the file's own name, not its folder's (a folder named by chance "...ev..."
        # made every file of the board a match)
        if self.budget < 0 or "r" in mode or self.match not in path.rsplit("/", 1)[-1]:
            return f
        return _CutFile(self, f)


class LinkHardware(Hardware):
    """Terminal values and time as last sent by the host; outputs kept for the reply.
    The RTC is the host's (K): it runs with the link's clock."""

    def __init__(self):
        self.now = 0
        self.raw = [0.0] * N_IN
        self.okv = bytearray(N_IN)
        self.out = [0.0] * N_OUT
        self.bus = None
        self.rtc_ms = None  # the RTC's Unix time in ms at self.now; None: it holds none
        self.fs = None

    def set_now(self, t_ms):
        """The host's clock moved to t_ms; the RTC moves with it."""
        if self.rtc_ms is not None:
            self.rtc_ms += ticks_diff(t_ms, self.now)
        self.now = t_ms

    def set_rtc(self, unix_ms):
        """The host set the RTC (None: it holds no time)."""
        self.rtc_ms = unix_ms
        self.rtc_version += 1

    def rtc_read(self):
        if self.rtc_ms is None:
            return None
        s = self.rtc_ms // 1000 - dates.UNIX_2000
        if s < 0:
            return None
        z = s // _DAY_S
        r = s - z * _DAY_S
        y, m, d = dates.civil(z)
        return (y, m, d, r // 3600, r // 60 % 60, r % 60)

    def rtc_write(self, y, mo, d, h, mi, s):
        t = dates.day_number(y, mo, d) * _DAY_S + h * 3600 + mi * 60 + s
        self.rtc_ms = (t + dates.UNIX_2000) * 1000

    def flash_fs(self):
        if self.fs is None:
            self.fs = CutFs()
        return self.fs

    def comm_ports(self):
        """Loopback Modbus ports (RTU line, TCP listener) the U and T commands feed."""
        return self.loop_bus().ports()

    def loop_bus(self):
        if self.bus is None:
            from co2hr.modbus.ports import LoopBus

            self.bus = LoopBus()
        return self.bus

    def ticks_ms(self):
        return self.now

    def read(self, raw, ok):
        for i in range(N_IN):
            raw[i] = self.raw[i]
            ok[i] = self.okv[i]

    def write(self, out):
        for i in range(N_OUT):
            self.out[i] = out[i]


try:
    from gc import mem_alloc, mem_free  # MicroPython: heap figures for S
except ImportError:  # CPython (the sil target): none
    mem_alloc = mem_free = None  # type: ignore[assignment]
try:
    from sys import print_exception  # MicroPython: the traceback for "!" lines
except ImportError:  # CPython: the type and message only
    print_exception = None  # type: ignore[assignment]


class HilLink:
    def __init__(self, rd, wr, build_app, board_name="?"):
        """rd: binary stream with readline(); wr: text writer function;
        build_app(hw) -> App (co2hr.boot.build bound to the board)."""
        self.rd = rd
        self.wr = wr
        self.hw = LinkHardware()
        self.app = build_app(self.hw)
        self.board_name = board_name
        self.reboot = False

    def step(self):
        """Serve one command. Returns False when the loop must end (Q, X, EOF)."""
        line = self.rd.readline()
        if not line:
            return False
        try:
            return self._dispatch(line.decode().split())
        except Exception as e:  # report, keep serving: the host decides
            self._report(e)
            return True

    def _report(self, e):
        text = ""
        if print_exception is not None:
            import io

            buf = io.StringIO()
            print_exception(e, buf)
            text = buf.getvalue()
        for ln in text.split("\n"):
            if ln:
                self.wr("! " + ln + "\n")
        self.wr("E %s: %s\n" % (type(e).__name__, e))

    def _tick(self, f):
        """I NOW MASK RAW...: the host's inputs for one tick; answers the outputs."""
        hw = self.hw
        app = self.app
        hw.set_now(int(f[1]))
        mask = int(f[2], 16)
        for i in range(N_IN):
            hw.raw[i] = float(f[3 + i])
            hw.okv[i] = (mask >> i) & 1
        app.service()
        o = hw.out
        self.wr("O %d %d %s\n" % (app.ticks, app.overruns,
                                   " ".join(["%.4f" % o[i] for i in range(N_OUT)])))

    def _tcp(self, f):
        """T SLOT open|close|-|HEX: one step of a TCP connection on the loop bus."""
        op = f[2]
        data = b""
        if op != "open" and op != "close" and op != "-":
            data = bytes.fromhex(op)
            op = "data"
        elif op == "-":
            op = "poll"
        out, closed = self.hw.loop_bus().tcp_exchange(int(f[1]), op, data,
                                                      self.app.modbus.poll)
        self.wr("T %s %d\n" % (out.hex() if out else "-", 1 if closed else 0))

    def _dispatch(self, f):
        if not f:
            return True
        c = f[0]
        app = self.app
        if self.hw.fs is not None and self.hw.fs.dead and c not in "KXQ":
            raise PowerFail("power failed")  # (the RTC is the host's: it still answers)
        if c == "I":
            self._tick(f)
        elif c == "M":
            if app.modbus is None:
                raise RuntimeError("no Modbus server in this build")
            resp = app.modbus.handle_pdu(int(f[1]), bytes.fromhex(f[2]))
            self.wr("R %s\n" % (resp.hex() if resp else "-"))
        elif c == "U":
            data = bytes.fromhex(f[2]) if f[2] != "-" else b""
            out = self.hw.loop_bus().rtu_exchange(int(f[1]), data, app.modbus.poll)
            self.wr("U %s\n" % (out.hex() if out else "-"))
        elif c == "T":
            self._tcp(f)
        elif c == "P":
            self.wr("P co2hr %s %s\n" % (VERSION, self.board_name))
        elif c == "S":
            a = fr = 0
            if mem_alloc is not None:
                a = mem_alloc()
                fr = mem_free()
            self.wr("S %d %d %d %d %d\n" % (app.ticks, app.overruns, app.tick_alloc, a, fr))
        elif c == "C":
            app.measure_alloc = f[1] == "1"
            self.wr("C %d\n" % (1 if app.measure_alloc else 0))
        elif c == "K":
            hw = self.hw
            if len(f) > 1:
                hw.set_rtc(None if f[1] == "-" else int(f[1]))
            self.wr("K %s\n" % ("-" if hw.rtc_ms is None else str(hw.rtc_ms)))
        elif c == "F":
            self.hw.flash_fs().arm(int(f[1]), f[2])
            self.wr("F %s\n" % f[1])
        elif c == "X":
            self.reboot = True
            self.wr("X\n")
            return False
        elif c == "Q":
            self.wr("Q\n")
            return False
        else:
            self.wr("E ValueError: unknown command %s\n" % c)
        return True
