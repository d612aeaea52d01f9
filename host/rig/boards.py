"""Board files: load one and check it before it reaches a board.

A board file (boards/<name>.json, format in boards/README.md) says where every
signal of co2hr.io is wired and how it is scaled. A wrong one fails on the bench
in ways that are slow to find (a pressure read from a floating pin, two drivers
fighting over one GPIO), so the host checks it here first; `rig deploy` refuses a
board that does not validate. Hand-written checks: no schema library needed, and
each message names the field and the rule it broke.
"""

from __future__ import annotations

import json
from pathlib import Path

import rig.fw as fw
from co2hr.io import INPUTS, OUTPUTS

MCUS = ("esp32", "rp2040")
INPUT_KINDS = ("ma420", "ratio", "pt1000", "ntc", "v010", "di", "pulse")
OUTPUT_KINDS = ("pwm010", "stepper", "relay")
ANALOG_KINDS = ("ma420", "ratio", "pt1000", "ntc", "v010")
# Outputs a board file may leave out: the firmware still computes them (and serves them
# over Modbus) but drives no pin. The injection-stop relay to the case controllers is
# wired only where the carrier has a GPIO for it (boards/README.md).
OPTIONAL_OUTPUTS = ("inj_stop",)
# The applications (the board file's "app", co2hr.boot.APPS) and the signals each one
# uses: (inputs it needs, inputs it may have, outputs it needs, outputs it may have).
# A board names exactly its application's: a signal of the other application is an
# error (it would be wired to nothing). The heat pump's are co2hr.hp_controller's.
_HP_ONLY_IN = ("t_coil_c", "boiler_on")
_HP_ONLY_OUT = ("comp_speed_pct",)
APPS = {
    "supermarket": (tuple(n for n in INPUTS if n not in _HP_ONLY_IN), (),
                    tuple(n for n in OUTPUTS if n not in _HP_ONLY_OUT + OPTIONAL_OUTPUTS),
                    OPTIONAL_OUTPUTS),
    "heatpump": (("p_gc_bar", "p_suc_bar", "t_gc_out_c", "t_amb_c", "t_disch_c", "t_w_in_c",
                  "t_w_out_c", "comp_run", "hp_ok", "ext_enable", "energy_pulses",
                  "heat_pulses", "t_coil_c"),
                 ("t_tank_c", "demand_v", "fan_ok", "boiler_on"),
                 ("hpev_pct", "bev_pct", "fan_pct", "hr_pump_pct", "comp_enable",
                  "alarm_relay", "comp_speed_pct"), ()),
}

# ESP32 (WROOM/WROVER): GPIOs that exist, the SPI-flash pins and the input-only ones.
ESP32_PINS = frozenset(list(range(0, 20)) + [21, 22, 23, 25, 26, 27] + list(range(32, 40)))
ESP32_FLASH = frozenset(range(6, 12))
ESP32_INPUT_ONLY = frozenset(range(34, 40))
ESP32_CONSOLE = frozenset((1, 3))  # UART0: the USB REPL that mpremote deploys through
RP2040_PINS = frozenset(range(0, 30))
RP2040_ADC = frozenset((26, 27, 28, 29))

# Wired Ethernet (ESP32 EMAC, RMII): the data pins are fixed in silicon; the reference
# clock comes in on GPIO0 or goes out on GPIO16/17. PHYs that MicroPython's network.LAN
# drives (network.PHY_<name>).
ESP32_RMII = {19: "TXD0", 21: "TX_EN", 22: "TXD1", 25: "RXD0", 26: "RXD1", 27: "CRS_DV"}
ESP32_REF_CLK = {0: "in", 16: "out", 17: "out"}
LAN_PHYS = ("LAN8720", "IP101", "RTL8201", "DP83848", "KSZ8041", "KSZ8081")
NET_KINDS = ("wlan", "lan")

ADS1115_ADDRS = (0x48, 0x49, 0x4A, 0x4B)
ADC_PIN_MAX_V = 3.6  # ADS1115 at 3.3 V: no input above VDD + 0.3 V


class BoardError(ValueError):
    """A board file that cannot be used; .errors lists every problem found."""

    def __init__(self, errors: list[str], source: str = "board"):
        self.errors = list(errors)
        super().__init__(f"{source}: {len(errors)} problem(s):\n  " + "\n  ".join(errors))


def board_path(name_or_path: str | Path) -> Path:
    p = Path(name_or_path)
    if p.suffix == ".json" and p.exists():
        return p
    cand = fw.BOARDS_DIR / (str(name_or_path) + ".json")
    if cand.exists():
        return cand
    known = ", ".join(sorted(b.stem for b in fw.BOARDS_DIR.glob("*.json")))
    raise BoardError([f"no board file {name_or_path!r} (known boards: {known})"])


def load_board(name_or_path: str | Path) -> dict:
    """Load a board by name (boards/<name>.json) or path; raise BoardError if invalid."""
    path = board_path(name_or_path)
    try:
        board = json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise BoardError([f"not valid JSON: {e}"], str(path)) from e
    errors = validate(board)
    if errors:
        raise BoardError(errors, str(path))
    return board


def _num(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


class _Checker:
    def __init__(self, board: dict) -> None:
        self.b = board
        self.errors: list[str] = []
        self.mcu = board.get("mcu")
        self.pins: dict[int, str] = {}  # pin -> where first used
        self.adc_ch: dict[tuple[int, int], str] = {}

    def err(self, where: str, msg: str) -> None:
        self.errors.append(f"{where}: {msg}")

    # -- fields ---------------------------------------------------------------------
    def range_(self, spec: dict, where: str, key: str, lo: float, hi: float,
               required: bool = True, integer: bool = False) -> float | None:
        if key not in spec:
            if required:
                self.err(f"{where}.{key}", "missing field")
            return None
        v = spec[key]
        if not _num(v) or (integer and not isinstance(v, int)):
            self.err(f"{where}.{key}", f"{v!r} is not a {'whole ' if integer else ''}number")
            return None
        if not lo <= v <= hi:
            self.err(f"{where}.{key}", f"{v} out of range {lo}..{hi}")
            return None
        return v

    def pin(self, where: str, p, output: bool) -> None:
        """Check one GPIO use: exists on this MCU, usable that way, not used before."""
        if not isinstance(p, int) or isinstance(p, bool):
            self.err(where, f"unknown pin {p!r}: a GPIO number is expected")
            return
        if self.mcu == "esp32":
            if p not in ESP32_PINS:
                self.err(where, f"unknown pin GPIO{p}: not on esp32")
                return
            if p in ESP32_FLASH:
                self.err(where, f"unknown pin GPIO{p}: wired to the SPI flash on esp32")
                return
            if p in ESP32_CONSOLE:
                self.err(where, f"unknown pin GPIO{p}: the USB console UART0 on esp32")
                return
            if output and p in ESP32_INPUT_ONLY:
                self.err(where, f"GPIO{p} is input-only on esp32 and cannot drive an output")
                return
        elif self.mcu == "rp2040":
            if p not in RP2040_PINS:
                self.err(where, f"unknown pin GP{p}: not on rp2040 (GP0-GP29)")
                return
        if p in self.pins:
            self.err(where, f"pin {p} used twice (already {self.pins[p]})")
            return
        self.pins[p] = where

    # -- sections -------------------------------------------------------------------
    def top(self) -> None:
        b = self.b
        if not isinstance(b.get("name"), str) or not b.get("name"):
            self.err("name", "missing field (a non-empty string)")
        if self.mcu not in MCUS:
            self.err("mcu", f"unknown mcu {self.mcu!r}: choose {', '.join(MCUS)}")
        tick = self.range_(b, "board", "tick_ms", 10, 60000, integer=True)
        wdt_max = 8388 if self.mcu == "rp2040" else 60000
        wdt = self.range_(b, "board", "wdt_ms", 1000, wdt_max, integer=True)
        if tick and wdt and wdt < 2 * tick:
            self.err("board.wdt_ms", f"{wdt} out of range: at least two ticks ({2 * tick})")
        if "led" in b:
            self.pin("led", b["led"], output=True)
        else:
            self.err("led", "missing field")

    def buses(self) -> None:
        ins = self.b.get("inputs", {}) if isinstance(self.b.get("inputs"), dict) else {}
        wired = {s.get("adc") for s in ins.values() if isinstance(s, dict)}
        i2c = self.b.get("i2c")
        if i2c is not None or "ads1115" in wired:
            if not isinstance(i2c, dict):
                self.err("i2c", "missing section (an ads1115 input needs the I2C bus)")
            else:
                self.range_(i2c, "i2c", "id", 0, 1, integer=True)
                self.range_(i2c, "i2c", "freq", 10000, 1000000, required=False)
                for k in ("sda", "scl"):
                    if k not in i2c:
                        self.err(f"i2c.{k}", "missing field")
                    else:
                        self.pin(f"i2c.{k}", i2c[k], output=True)
                        self.rp2_function(f"i2c.{k}", "i2c", i2c.get("id"), k, i2c[k])
        spi = self.b.get("spi")
        if spi is not None or "max31865" in wired:
            if not isinstance(spi, dict):
                self.err("spi", "missing section (a max31865 input needs the SPI bus)")
            else:
                self.range_(spi, "spi", "id", 0, 2, integer=True)
                self.range_(spi, "spi", "baudrate", 100000, 5000000, required=False)
                for k in ("sck", "mosi", "miso"):
                    if k not in spi:
                        self.err(f"spi.{k}", "missing field")
                    else:
                        self.pin(f"spi.{k}", spi[k], output=(k != "miso"))
                        self.rp2_function(f"spi.{k}", "spi", spi.get("id"), k, spi[k])
        u = self.b.get("uart")
        if not isinstance(u, dict):
            self.err("uart", "missing section (the RS-485 port)")
            return
        self.range_(u, "uart", "id", 0, 2, integer=True)
        self.range_(u, "uart", "baud", 1200, 230400, integer=True)
        if u.get("parity", "N") not in ("N", "E", "O"):
            self.err("uart.parity", f"{u.get('parity')!r} out of range: N, E or O")
        for k, out in (("tx", True), ("rx", False), ("de", True)):
            if k not in u:
                self.err(f"uart.{k}", "missing field")
            else:
                self.pin(f"uart.{k}", u[k], output=out)
                if k != "de":
                    self.rp2_function(f"uart.{k}", "uart", u.get("id"), k, u[k])

    def net(self) -> None:
        """The network interfaces the board has (the site file picks one)."""
        net = self.b.get("net")
        if net is None:
            return
        if not isinstance(net, dict) or not net:
            self.err("net", "must be an object naming the interfaces: {\"wlan\": {}} "
                     "and/or {\"lan\": {PHY pins}}")
            return
        for k in net:
            if k not in NET_KINDS:
                self.err(f"net.{k}", f"unknown interface: {', '.join(NET_KINDS)}")
        if "wlan" in net and net["wlan"] != {}:
            self.err("net.wlan", "takes no fields ({}): the site file has the network")
        if "lan" in net:
            self.lan(net["lan"])

    def lan(self, p) -> None:
        if self.mcu != "esp32":
            self.err("net.lan", f"wired Ethernet (RMII) is on the esp32 only, not {self.mcu}")
            return
        if not isinstance(p, dict):
            self.err("net.lan", "must be an object with phy, phy_addr, mdc, mdio")
            return
        known = ("phy", "phy_addr", "mdc", "mdio", "power", "ref_clk", "ref_clk_mode")
        for k in p:
            if k not in known:
                self.err(f"net.lan.{k}", f"unknown field ({', '.join(known)})")
        if p.get("phy") not in LAN_PHYS:
            self.err("net.lan.phy", f"unknown PHY {p.get('phy')!r}: {', '.join(LAN_PHYS)}")
        self.range_(p, "net.lan", "phy_addr", 0, 31, integer=True)
        for k in ("mdc", "mdio", "power"):
            if k in p:
                self.pin(f"net.lan.{k}", p[k], output=True)
            elif k != "power":
                self.err(f"net.lan.{k}", "missing field")
        for pin, sig in ESP32_RMII.items():
            self.pin(f"net.lan RMII {sig}", pin, output=True)
        if "ref_clk" in p:
            clk = p["ref_clk"]
            mode = p.get("ref_clk_mode", "in")
            if ESP32_REF_CLK.get(clk) != mode:
                self.err("net.lan.ref_clk", f"{clk!r} with ref_clk_mode {mode!r}: the RMII "
                         "clock comes in on GPIO0 or goes out on GPIO16/17")
            else:
                self.pin("net.lan.ref_clk", clk, output=(mode == "out"))
        elif "ref_clk_mode" in p:
            self.err("net.lan.ref_clk_mode", "needs ref_clk")

    def rp2_function(self, where: str, bus: str, bus_id, role: str, p) -> None:
        """RP2040 peripherals sit on fixed pins (datasheet 1.4.3 function table)."""
        if self.mcu != "rp2040" or not isinstance(p, int) or p not in RP2040_PINS:
            return
        if bus == "i2c":
            ok = (p // 2) % 2 == bus_id and (p % 2 == 0) == (role == "sda")
        elif bus == "spi":
            slot = {"miso": 0, "sck": 2, "mosi": 3}[role]
            ok = (p // 8) % 2 == bus_id and p % 4 == slot
        else:
            uid = 1 if (p // 4) % 4 in (1, 2) else 0
            ok = uid == bus_id and p % 4 == (0 if role == "tx" else 1)
        if not ok:
            self.err(where, f"unknown pin GP{p} for {bus}{bus_id} {role} on rp2040")

    def signals(self, section: str, names, kinds, optional=()):
        """(where, kind, spec) of each well-formed signal of the inputs or outputs
        section; an error for a missing section or signal (but an optional one), an
        unknown one, a spec that is not an object and an unknown kind."""
        specs = self.b.get(section)
        if not isinstance(specs, dict):
            self.err(section, "missing section")
            return
        for name in names:
            if name not in specs and name not in optional:
                self.err(f"{section}.{name}", "missing signal")
        for name, spec in specs.items():
            where = f"{section}.{name}"
            if name not in names:
                self.err(where, f"unknown signal (not one of co2hr.io.{section.upper()} "
                         "that the board's app uses)")
                continue
            if not isinstance(spec, dict):
                self.err(where, "must be an object")
                continue
            kind = spec.get("kind")
            if kind not in kinds:
                self.err(f"{where}.kind", f"unknown kind {kind!r}: one of {', '.join(kinds)}")
                continue
            yield where, kind, spec

    def app(self) -> tuple:
        """The signals of the board's application (an unknown one: reported, and the
        supermarket's checked)."""
        name = self.b.get("app", "supermarket")
        if name not in APPS:
            if not any(e.startswith("app:") for e in self.errors):
                self.err("app", f"unknown application {name!r}: one of {', '.join(APPS)}")
            name = "supermarket"
        return APPS[name]

    def inputs(self) -> None:
        need, may, _, _ = self.app()
        for where, kind, spec in self.signals("inputs", need + may, INPUT_KINDS, may):
            self.scaling(where, kind, spec)
            self.wiring(where, kind, spec)

    def scaling(self, where: str, kind: str, s: dict) -> None:
        if kind in ("ma420", "ratio"):
            lo = self.range_(s, where, "lo", -1e4, 1e4)
            hi = self.range_(s, where, "hi", -1e4, 1e4)
            if lo is not None and hi is not None and lo >= hi:
                self.err(f"{where}.lo", f"scaling out of range: lo {lo} >= hi {hi}")
        elif kind == "ntc":
            self.range_(s, where, "r25_ohm", 100, 1e6)
            self.range_(s, where, "beta", 2000, 6000)
        elif kind == "pulse" and where.endswith(".heat_pulses"):
            # the heat meter's pulse value is the site's setting hr_meter_wh_per_pulse
            if "kwh_per_pulse" in s:
                self.err(f"{where}.kwh_per_pulse", "the heat meter's pulse value is the "
                         "setting hr_meter_wh_per_pulse, not a board field")
            self.range_(s, where, "debounce_ms", 0, 1000, required=False)
        elif kind == "pulse":
            self.range_(s, where, "kwh_per_pulse", 1e-6, 100)
            self.range_(s, where, "debounce_ms", 0, 1000, required=False)

    def wiring(self, where: str, kind: str, s: dict) -> None:
        adc = s.get("adc")
        if adc == "ads1115":
            if kind == "pulse":
                self.err(f"{where}.adc", "a pulse input needs a GPIO with an interrupt, not an ADC")
            addr = self.range_(s, where, "addr", 0x48, 0x4B, integer=True)
            ch = self.range_(s, where, "ch", 0, 3, integer=True)
            if addr is not None and ch is not None:
                key = (int(addr), int(ch))
                if key in self.adc_ch:
                    self.err(f"{where}.ch", f"ads1115 0x{key[0]:02x} channel {key[1]} used twice"
                             f" (already {self.adc_ch[key]})")
                else:
                    self.adc_ch[key] = where
            self.analog_front_end(where, kind, s, on_ads=True)
        elif adc == "max31865":
            if kind != "pt1000":
                self.err(f"{where}.adc", f"max31865 reads a pt1000, not a {kind} input")
            if "cs" not in s:
                self.err(f"{where}.cs", "missing field")
            else:
                self.pin(f"{where}.cs", s["cs"], output=True)
            self.range_(s, where, "rref_ohm", 400, 10000)
            if s.get("wires", 3) not in (2, 3, 4):
                self.err(f"{where}.wires", f"{s.get('wires')!r} out of range: 2, 3 or 4")
        elif adc is None:
            if "pin" not in s:
                self.err(f"{where}.pin", "missing field (or wire it through an adc)")
                return
            p = s["pin"]
            self.pin(f"{where}.pin", p, output=False)
            if kind in ANALOG_KINDS:
                if self.mcu == "esp32":
                    self.err(f"{where}.pin", "the esp32 on-chip ADC is non-linear: wire this"
                             " analog input through an ads1115 or max31865")
                elif self.mcu == "rp2040" and p not in RP2040_ADC:
                    self.err(f"{where}.pin", f"unknown pin GP{p} for an analog input on rp2040"
                             " (ADC on GP26-GP29)")
                self.analog_front_end(where, kind, s, on_ads=False)
            if s.get("pull", "none") not in ("up", "down", "none"):
                self.err(f"{where}.pull", f"{s.get('pull')!r} out of range: up, down or none")
        else:
            self.err(f"{where}.adc", f"unknown adc {adc!r}: ads1115, max31865 or none (pin)")

    def analog_front_end(self, where: str, kind: str, s: dict, on_ads: bool) -> None:
        """Resistor networks in front of the converter: full scale must fit the ADC."""
        if kind == "ma420":
            shunt = self.range_(s, where, "shunt_ohm", 10, 250)
            if shunt is not None and 0.0205 * shunt > ADC_PIN_MAX_V:
                self.err(f"{where}.shunt_ohm", f"{shunt} out of range: 20.5 mA gives"
                         f" {0.0205 * shunt:.2f} V, above the ADC's {ADC_PIN_MAX_V} V")
        elif kind in ("v010", "ratio"):
            div = self.range_(s, where, "divider", 1.0, 20.0, required=(kind == "v010"))
            full = 10.5 if kind == "v010" else 4.75
            if div is not None and full / div > ADC_PIN_MAX_V:
                self.err(f"{where}.divider", f"{div} out of range: {full} V in gives"
                         f" {full / div:.2f} V, above the ADC's {ADC_PIN_MAX_V} V")
        elif kind in ("ntc", "pt1000"):
            self.range_(s, where, "r_series_ohm", 100, 1e6)
            if on_ads:
                self.range_(s, where, "v_supply", 1.0, 3.6)
        elif kind == "di":
            self.range_(s, where, "threshold_v", 0.1, 3.3)

    def outputs(self) -> None:
        pwm_slots: dict[tuple[int, int], str] = {}
        _, _, need, may = self.app()
        for where, kind, spec in self.signals("outputs", need + may, OUTPUT_KINDS, may):
            if kind != "relay" and where.endswith(".inj_stop"):
                self.err(f"{where}.kind", f"{kind!r}: the injection stop is a relay")
                continue
            if kind == "stepper":
                for k in ("step", "dir", "enable"):
                    if k in spec:
                        self.pin(f"{where}.{k}", spec[k], output=True)
                    elif k != "enable":
                        self.err(f"{where}.{k}", "missing field")
                self.range_(spec, where, "steps", 10, 20000, integer=True)
                self.range_(spec, where, "max_sps", 1, 500)
                self.range_(spec, where, "accel_sps2", 1, 20000)
                self.range_(spec, where, "overdrive_pct", 0, 50, required=False)
                continue
            if "pin" not in spec:
                self.err(f"{where}.pin", "missing field")
            else:
                self.pin(f"{where}.pin", spec["pin"], output=True)
            if kind == "pwm010":
                self.range_(spec, where, "freq_hz", 100, 40000, required=False)
                p = spec.get("pin")
                if self.mcu == "rp2040" and isinstance(p, int):
                    slot = ((p >> 1) & 7, p & 1)  # PWM slice and channel
                    if slot in pwm_slots:
                        self.err(f"{where}.pin", f"pin {p} used twice: PWM slice {slot[0]}"
                                 f"{'AB'[slot[1]]} already drives {pwm_slots[slot]}")
                    pwm_slots[slot] = where
            else:
                self.range_(spec, where, "min_on_s", 0, 3600)
                self.range_(spec, where, "min_off_s", 0, 3600)


def validate(board: dict) -> list[str]:
    """Every problem with a board description, as 'field: message' strings."""
    if not isinstance(board, dict):
        return ["board: must be a JSON object"]
    c = _Checker(board)
    c.top()
    c.buses()
    c.inputs()
    c.outputs()
    c.net()
    return c.errors


def board_nets(board: dict) -> tuple[str, ...]:
    """The network interfaces a (valid) board file names: what its site file may ask."""
    return tuple(board.get("net") or ())
