# A flash filesystem fake for the storage and event-log tests (CPython and
# MicroPython): files are byte arrays, opened "rb", "wb" (truncated at once) or "ab"
# (appended to); `budget` is how many more bytes the flash takes before the power
# dies (PowerCut), so a test can cut a save after any byte. With `erased` set, a cut
# leaves the rest of the block erased (0xFF), as NOR flash does. A path in `broken`
# fails every open with EIO (a flash read error, or a slot name that is a folder);
# `fail_writes` fails every write open with ENOSPC. `written` counts the bytes taken.

import errno

# the port's numbers where it has them (the WASI build of the mpy target has its own)
ENOENT = getattr(errno, "ENOENT", 2)
EIO = getattr(errno, "EIO", 5)
ENOSPC = getattr(errno, "ENOSPC", 28)
EEXIST = getattr(errno, "EEXIST", 17)


class PowerCut(Exception):
    pass


class FakeFile:
    def __init__(self, fs, path, data=None):
        self.fs = fs
        self.path = path
        self.data = data
        self.pos = 0

    def read(self, n=-1):
        d = self.data
        if n < 0:
            n = len(d)
        out = bytes(d[self.pos:self.pos + n])
        self.pos += len(out)
        return out

    def readinto(self, mv):
        d = self.data
        k = max(0, min(len(mv), len(d) - self.pos))
        for i in range(k):
            mv[i] = d[self.pos + i]
        self.pos += k
        return k

    def seek(self, off, whence=0):
        size = len(self.data) if self.data is not None else len(self.fs.files[self.path])
        self.pos = off if whence == 0 else (self.pos + off if whence == 1 else size + off)
        return self.pos

    def write(self, b):
        fs = self.fs
        f = fs.files[self.path]
        for k in range(len(b)):
            if fs.budget is not None:
                if fs.budget <= 0:
                    if fs.erased:
                        pad = fs.erased - len(f) % fs.erased
                        f.extend(b"\xff" * pad)
                    raise PowerCut()
                fs.budget -= 1
            f.append(b[k])
            fs.written += 1
        return len(b)

    def close(self):
        pass


class FakeFs:
    def __init__(self):
        self.files = {}
        self.dirs = set()
        self.budget = None
        self.erased = 0
        self.fail_writes = False
        self.broken = set()
        self.opens = 0
        self.written = 0

    def _dir_of(self, path):
        k = path.rfind("/")
        return path[:k] if k > 0 else ""

    def open(self, path, mode):
        self.opens += 1
        if path in self.broken:
            raise OSError(EIO)
        if "r" in mode:
            if path not in self.files:
                raise OSError(ENOENT)
            return FakeFile(self, path, self.files[path])
        d = self._dir_of(path)
        if d and d not in self.dirs:
            raise OSError(ENOENT)
        if self.fail_writes:
            raise OSError(ENOSPC)
        if self.budget is not None and self.budget <= 0:
            raise PowerCut()
        if "a" not in mode or path not in self.files:
            self.files[path] = bytearray()  # "wb" truncates at once
        return FakeFile(self, path)

    def rename(self, a, b):
        self.files[b] = self.files.pop(a)

    def remove(self, path):
        del self.files[path]

    def mkdir(self, path):
        if path in self.dirs:
            raise OSError(EEXIST)
        self.dirs.add(path)

    def copy(self):
        c = FakeFs()
        for p in self.files:
            c.files[p] = bytearray(self.files[p])
        c.dirs = set(self.dirs)
        c.broken = set(self.broken)
        return c
