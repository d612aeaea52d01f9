"""hypothesis: random unlock and write sequences from several masters at once (three
TCP connections, the RTU line, RTU broadcasts, the HIL link), with raw frames, against
the real firmware (CPython; the dual module test_modbus_unlock runs the fixed cases in
MicroPython too). The expected replies come from the documented rules (docs/registers.md,
"Service unlock"), written out here as a small model: which session is open, the wait
after wrong codes per transport, the TCP idle timeout. And: half-sent, trickling,
non-reading and idle TCP clients never keep a new client out past the idle timeout."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from modbus_fixture import UNLOCK_CODE, h, make_app, mbap, req, rtu_req, tcp, tcp_req

from co2hr.settings import index

FREE_TRIES = 2
WAIT_MAX_S = 600
UNLOCK_MS = 600 * 1000  # unlock_timeout_s
IDLE_MS = 60 * 1000  # tcp_idle_s
TCP = ("tcp1", "tcp2", "tcp3")
CHANNELS = TCP + ("rtu", "bcast", "link")
GUARD = {"tcp1": "tcp", "tcp2": "tcp", "tcp3": "tcp", "rtu": "rtu", "link": "link"}
P_GC_MAX = index("p_gc_max_bar")
WRONG_CODE = UNLOCK_CODE ^ 0x5A5A

settings_ = settings(max_examples=120, deadline=None,
                     suppress_health_check=[HealthCheck.too_slow])


def wait_ms(f):
    return 0 if f <= FREE_TRIES else min(1 << min(f - FREE_TRIES - 1, 10), WAIT_MAX_S) * 1000


class Model:
    """What the rules say: open sessions, each transport's wait, TCP idle closes."""

    def __init__(self):
        self.now = 0
        self.until = dict.fromkeys(CHANNELS)  # unlock deadline, None: locked
        self.fails = {"tcp": 0, "rtu": 0, "link": 0}
        self.wait_until = {"tcp": 0, "rtu": 0, "link": 0}
        self.last = dict.fromkeys(TCP, 0)  # last complete request per TCP connection

    def is_open(self, ch):
        u = self.until[ch]
        return u is not None and self.now < u

    def code(self, ch, right):
        """True when the code is taken (the session opens)."""
        g = GUARD[ch]
        if self.now < self.wait_until[g]:
            return False
        if right:
            self.fails[g] = 0
            self.until[ch] = self.now + UNLOCK_MS
            return True
        self.fails[g] += 1
        self.wait_until[g] = self.now + wait_ms(self.fails[g])
        return False

    def idle_closed(self):
        """TCP channels the server must have closed by now (and the harness reopened)."""
        out = [ch for ch in TCP if self.now - self.last[ch] > IDLE_MS]
        for ch in out:
            self.until[ch] = None
            self.last[ch] = self.now
        return out


class Masters:
    """The firmware and its masters on the loopback bus."""

    def __init__(self):
        self.app, self.hw = make_app()
        self.cid = {}
        self.next_cid = 1
        for ch in TCP:
            self.reconnect(ch)

    def reconnect(self, ch):
        if ch in self.cid:
            tcp(self.app, self.hw, self.cid[ch], "close")
        self.cid[ch] = self.next_cid
        self.next_cid += 1
        assert tcp(self.app, self.hw, self.cid[ch], "open") == (b"", False)

    def send(self, ch, pdu):
        if ch in TCP:
            return tcp_req(self.app, self.hw, self.cid[ch], pdu)
        if ch == "link":
            return req(self.app, pdu)
        return rtu_req(self.app, self.hw, pdu, unit=0 if ch == "bcast" else 1)

    def advance(self, dt_ms):
        self.hw.now = (self.hw.now + dt_ms) & 0x3FFFFFFF
        self.app.modbus.poll()
        closed = [ch for ch in TCP if self.hw.bus.tcp.conns.get(self.cid[ch]) is None
                  or self.hw.bus.tcp.conns[self.cid[ch]].closed]
        for ch in closed:
            self.hw.bus.tcp.conns.pop(self.cid[ch], None)
            self.cid.pop(ch)
            self.reconnect(ch)
        return closed


# A code written three ways, and the reply when it is taken (FC 23 then reads the 600 s
# left) or refused
CODE_PDU = {"fc6": ("06 0258 %04x" % UNLOCK_CODE, "060258%04x" % UNLOCK_CODE, "8601"),
            "fc16": ("10 0258 0001 02 %04x" % UNLOCK_CODE, "1002580001", "9001"),
            "fc23": ("17 0258 0001 0258 0001 02 %04x" % UNLOCK_CODE, "17020258", "9701")}
# p_gc_max_bar, man_hpev_pct (v / 10 each), coil alarm_ack
WRITE_PDU = {"setting": "06 0001 %04x", "command": "06 01f5 %04x", "coil": "05 0000 ff00"}

def _ops(chan):
    return st.one_of(
        st.tuples(st.just("code"), chan, st.booleans(), st.sampled_from(sorted(CODE_PDU))),
        st.tuples(st.just("wrongs"), chan, st.integers(1, 6)),
        st.tuples(st.just("code+write"), chan, st.sampled_from(sorted(CODE_PDU)),
                  st.sampled_from(sorted(WRITE_PDU)), st.integers(600, 1000)),
        st.tuples(st.just("lock"), chan),
        st.tuples(st.just("write"), chan, st.sampled_from(sorted(WRITE_PDU)),
                  st.integers(600, 1000)),
        st.tuples(st.just("reconnect"), st.sampled_from(TCP)),
        st.tuples(st.just("wait"), st.sampled_from((0, 300, 999, 1000, 2000, 4000, 30000,
                                                    59000, 61000, 599000, 600000))),
    )


@st.composite
def sequences(draw):
    """Operations, half of them on a few channels of the example's choosing (so codes
    and writes meet on one session), half on any."""
    focus = draw(st.lists(st.sampled_from(CHANNELS), min_size=1, max_size=2, unique=True))
    chan = st.one_of(st.sampled_from(focus), st.sampled_from(CHANNELS))
    return draw(st.lists(_ops(chan), min_size=10, max_size=50))


def _refused(pdu):
    return "%02x01" % (int(pdu[:2], 16) | 0x80)


def _step(ms, m, o):
    """One request from one master, on the firmware and on the model: (reply, expected
    reply, the p_gc_max_bar it sets when accepted or None)."""
    kind, ch = o[0], o[1]
    if ch in TCP:
        m.last[ch] = m.now  # a complete request
    if kind == "code":
        pdu, ok, refused = CODE_PDU[o[3]]
        if not o[2]:
            pdu = pdu[:-4] + "%04x" % WRONG_CODE
        exp = None if ch == "bcast" else ok if m.code(ch, o[2]) else refused
        return ms.send(ch, pdu), exp, None
    if kind == "lock":
        exp = None
        if ch != "bcast":
            m.until[ch] = None
            exp = "0602580000"
        return ms.send(ch, "06 0258 0000"), exp, None
    pdu = WRITE_PDU[o[2]]  # a write
    if "%" in pdu:
        pdu = pdu % o[3]
    ok = ch != "bcast" and m.is_open(ch)
    exp = pdu.replace(" ", "") if ok else None if ch == "bcast" else _refused(pdu)
    return ms.send(ch, pdu), exp, o[3] / 10 if ok and o[2] == "setting" else None


def _run_op(ms, m, o):
    """One operation: a list of _step results (empty for reconnects and waits)."""
    kind, ch = o[0], o[1]
    if kind == "code+write":  # the right code, then a write on the same session
        return [_step(ms, m, ("code", ch, True, o[2])), _step(ms, m, ("write", ch, o[3], o[4]))]
    if kind == "wrongs":  # several wrong codes in a row: reaching the waits
        return [_step(ms, m, ("code", ch, False, "fc6")) for _ in range(o[2])]
    if kind == "reconnect":
        ms.reconnect(ch)
        m.until[ch] = None
        m.last[ch] = m.now
        return []
    if kind == "wait":
        m.now += o[1]
        closed = ms.advance(o[1])
        assert sorted(closed) == sorted(m.idle_closed()), (closed, m.now)
        return []
    return [_step(ms, m, o)]


@settings_
@given(sequences())
def test_random_unlock_sequences_follow_the_rules(ops):
    ms = Masters()
    m = Model()
    s = ms.app.control.settings
    for k, o in enumerate(ops):
        v0 = s.version
        steps = _run_op(ms, m, o)
        for got, exp, _ in steps:
            assert got == exp, (k, o, got, exp)
        sets = [v for _, _, v in steps if v is not None]
        if sets:
            assert abs(s.values[P_GC_MAX] - sets[-1]) < 1e-9
        else:  # nothing else changes a setting: no refusal, no broadcast, no command
            assert s.version == v0, (k, o)


# --- connections that try to hold the slots


LONG = h("0001 0000 00fe 01")  # an MBAP header that announces 253 more bytes
HOLD = st.one_of(
    st.just(("idle",)),
    st.tuples(st.just("half"), st.integers(1, 11)),  # bytes of a 12-byte request
    st.tuples(st.just("trickle"), st.integers(1, 30)),  # a byte every n s, never complete
    st.tuples(st.just("noread"), st.integers(1, 3)),  # n requests, no answer read
    st.tuples(st.just("request_then_half"), st.integers(1, 11)),
)


def _hold(app, hw, cid, how, t_s):
    """The holder's traffic at second t_s of the run."""
    if how[0] == "idle":
        return
    f = mbap(cid, 1, "03 0000 0001")
    if how[0] in ("half", "request_then_half") and t_s == 0:
        if how[0] == "request_then_half":
            tcp(app, hw, cid, "data", f)
        tcp(app, hw, cid, "data", f[:how[1]])
    elif how[0] == "trickle" and t_s % how[1] == 0:
        k = t_s // how[1]  # byte k of a 260-byte frame: the header, then zeros
        tcp(app, hw, cid, "data", LONG[k:k + 1] if k < len(LONG) else b"\x00")
    elif how[0] == "noread" and t_s == 0:
        hw.bus.tcp.conns[cid].window = 0
        tcp(app, hw, cid, "data", f * how[1])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(HOLD, min_size=4, max_size=4), st.integers(1, 120), st.integers(1, 60))
def test_no_holders_keep_a_new_client_out_past_the_idle_timeout(holders, idle_s, frame_s):
    app, hw = make_app()
    s = app.control.settings
    s.set("tcp_idle_s", idle_s)
    s.set("tcp_frame_s", frame_s)
    for cid in range(1, 5):
        assert tcp(app, hw, cid, "open") == (b"", False)
    t_s = 0
    while True:
        for cid, how in zip(range(1, 5), holders, strict=True):
            if hw.bus.tcp.conns.get(cid) is not None:
                _hold(app, hw, cid, how, t_s)
        out, closed = tcp(app, hw, 100 + t_s, "open")
        if not closed:
            break
        t_s += 1
        hw.now += 1000
        assert t_s <= idle_s + 1, (t_s, holders)
    assert tcp_req(app, hw, 100 + t_s, "03 0000 0001")[:4] == "0302"
    assert app.overruns == 0
