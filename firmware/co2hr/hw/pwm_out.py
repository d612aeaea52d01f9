# 0-10 V analog output from PWM: the pin's PWM is RC-filtered and amplified x3
# (op-amp) on the carrier, so duty 0..100 % becomes 0..10 V for EC fans, pumps and
# modulating valves. invert covers a carrier with an inverting stage.
class PwmOut:
    def __init__(self, pwm, invert=False):
        """pwm: a machine.PWM (freq set by the caller) with duty_u16()."""
        self.pwm = pwm
        self.invert = invert
        self.pct = -1.0
        self.set_pct(0.0)

    def set_pct(self, pct):
        if pct < 0.0 or pct != pct:  # NaN -> 0
            pct = 0.0
        elif pct > 100.0:
            pct = 100.0
        if pct == self.pct:
            return
        self.pct = pct
        duty = int(pct * 655.35 + 0.5)
        if self.invert:
            duty = 65535 - duty
        self.pwm.duty_u16(duty)
