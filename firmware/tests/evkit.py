# The event log's numbers for the dual tests. co2hr/eventlog.py keeps them as private
# consts (compiled in: the board holds no name for them), so a test under MicroPython
# cannot import them; test_evkit_cpy.py checks every one here against the firmware's
# source, so this is a copy that cannot drift, not a second truth.
EV_BOOT = 1
EV_STORAGE = 2
EV_ALARM = 3
EV_SETTING = 4
EV_COMMAND = 5
EV_MODE = 6
EV_HP_STOP = 7
EV_UNLOCK = 8
EV_LOCK = 9
EV_CODE_WRONG = 10
EV_CLOCK = 11
EV_LOST = 12
WHAT_CLEARED = 0
WHAT_RAISED = 1
WHAT_ACKED = 2
STORE_FIRST_BOOT = 1
STORE_UNUSABLE = 2
STORE_REFUSED = 3
N_PEND = 16
FLUSH_WITHIN_MS = 2000
QUOTA_BURST = 200
QUOTA_REFILL_MS = 60000
LOST_WITHIN_MS = 600000
RETRY_MS = 30000
CODE_CLOCK_NOT_SET = 50
CODE_LOG_FAULT = 51
LOCK_BY_MASTER = 0  # the `why` co2hr.modbus.unlock passes with EventLog.session(1, ...)
LOCK_TIMEOUT = 1
LOCK_CLOSED = 2
