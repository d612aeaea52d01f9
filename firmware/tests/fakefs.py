# A flash filesystem fake for the storage tests (CPython and MicroPython): files
# are byte arrays; `budget` is how many more bytes the flash takes before the
# power dies (PowerCut), so a test can cut a save after any byte. With `erased`
# set, a cut leaves the rest of the block erased (0xFF), as NOR flash does. A path
# in `broken` fails every open with EIO (a flash read error, or a slot name that is
# a folder); `fail_writes` fails every write open with ENOSPC.


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

    def _dir_of(self, path):
        k = path.rfind("/")
        return path[:k] if k > 0 else ""

    def open(self, path, mode):
        self.opens += 1
        if path in self.broken:
            raise OSError(5)  # EIO
        if "r" in mode:
            if path not in self.files:
                raise OSError(2)  # ENOENT
            return FakeFile(self, path, self.files[path])
        d = self._dir_of(path)
        if d and d not in self.dirs:
            raise OSError(2)
        if self.fail_writes:
            raise OSError(28)  # ENOSPC
        if self.budget is not None and self.budget <= 0:
            raise PowerCut()
        self.files[path] = bytearray()  # "wb" truncates at once
        return FakeFile(self, path)

    def rename(self, a, b):
        self.files[b] = self.files.pop(a)

    def remove(self, path):
        del self.files[path]

    def mkdir(self, path):
        if path in self.dirs:
            raise OSError(17)  # EEXIST
        self.dirs.add(path)

    def copy(self):
        c = FakeFs()
        for p in self.files:
            c.files[p] = bytearray(self.files[p])
        c.dirs = set(self.dirs)
        c.broken = set(self.broken)
        return c
