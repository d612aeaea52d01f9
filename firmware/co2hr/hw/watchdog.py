# Hardware watchdog. Started at the first completed control tick (not at power-up,
# so a slow boot or a storage repair cannot trip it) and fed once per tick after
# that: a control loop that stops ticking resets the board, which then boots with
# every output in its safe state and re-homes the valves.
class Watchdog:
    def __init__(self, make_wdt, timeout_ms):
        """make_wdt(timeout_ms) -> an object with feed() (machine.WDT)."""
        self.make_wdt = make_wdt
        self.timeout_ms = timeout_ms
        self.wdt = None
        self.feeds = 0

    def feed(self):
        if self.wdt is None:
            self.wdt = self.make_wdt(self.timeout_ms)
        self.wdt.feed()
        self.feeds += 1
