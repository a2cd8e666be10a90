"""formats - Postern's wire and file formats, for tests.

Independent Python readers and writers of what the C code speaks, so that
a test checks the C side against a second implementation:
  * netstrings (spec a.1): netstring(b), parse_netstring(data) -> (value, rest);
    qmqp_packet(message, sender, recipients) builds one QMQP request;
  * queue file records (spec b.1): record(type, data) encodes one;
    read_records(data) -> [(type_letter, payload bytes)], following `p`
    pointer records and skipping `w` padding, stopping after `E`;
    queue_file(path) reads a file that way;
  * attribute lists, format "0" (spec d.1): attr_list(pairs) encodes;
    AttrReader(sock).read_list() -> dict (groups are skipped).
"""
import socket


def netstring(data):
    if isinstance(data, str):
        data = data.encode()
    return b"%d:%s," % (len(data), data)


def parse_netstring(data):
    """Return (value, rest) for the netstring at the start of data."""
    colon = data.index(b":")
    length = int(data[:colon])
    start = colon + 1
    if data[start + length:start + length + 1] != b",":
        raise ValueError("netstring without its comma")
    return data[start:start + length], data[start + length + 1:]


def qmqp_packet(message, sender, recipients):
    body = netstring(message) + netstring(sender)
    for r in recipients:
        body += netstring(r)
    return netstring(body)


def record(rtype, data=b""):
    """One queue file record: type byte, base-128 length, data."""
    if isinstance(rtype, str):
        rtype = ord(rtype)
    if isinstance(data, str):
        data = data.encode()
    n = len(data)
    length = bytearray()
    while True:
        byte = n & 0x7f
        n >>= 7
        if n:
            length.append(byte | 0x80)
        else:
            length.append(byte)
            break
    return bytes([rtype]) + bytes(length) + data


def read_record(data, pos):
    """Return (type letter, payload, next position) at pos."""
    rtype = chr(data[pos])
    pos += 1
    length = 0
    shift = 0
    while True:
        byte = data[pos]
        pos += 1
        length |= (byte & 0x7f) << shift
        shift += 7
        if not byte & 0x80:
            break
        if shift >= 28:
            raise ValueError("record length too long")
    if pos + length > len(data):
        raise ValueError("truncated record")
    return rtype, data[pos:pos + length], pos + length


def read_records(data, follow_pointers=True):
    """All records up to and including E, in logical order."""
    out = []
    pos = 0
    jumps = 0
    while pos < len(data):
        rtype, payload, pos = read_record(data, pos)
        if follow_pointers and rtype == "p":
            target = int(payload.strip() or b"0")
            if target > 0:
                jumps += 1
                if jumps > 10000:
                    raise ValueError("pointer loop")
                pos = target
            continue
        if follow_pointers and rtype == "w":
            continue
        out.append((rtype, payload))
        if rtype == "E":
            break
    return out


def queue_file(path):
    with open(path, "rb") as f:
        return read_records(f.read())


def attr_list(pairs):
    """Encode [(name, value), ...] (or a dict) as one format-0 list."""
    if isinstance(pairs, dict):
        pairs = pairs.items()
    out = b""
    for name, value in pairs:
        if isinstance(name, str):
            name = name.encode()
        if isinstance(value, int):
            value = str(value)
        if isinstance(value, str):
            value = value.encode()
        out += name + b"\0" + value + b"\0"
    return out + b"\0"


class AttrReader:
    """Read format-0 attribute lists from a socket."""

    def __init__(self, sock, timeout=10):
        self.sock = sock
        self.sock.settimeout(timeout)
        self.pending = b""

    def _field(self):
        while b"\0" not in self.pending:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("connection closed inside an attribute list")
            self.pending += chunk
        field, self.pending = self.pending.split(b"\0", 1)
        return field

    def read_list(self):
        result = {}
        depth = 0
        while True:
            name = self._field()
            if name == b"":
                if depth == 0:
                    return result
                continue
            if name == b"{":
                depth += 1
                continue
            if name == b"}":
                depth -= 1
                continue
            value = self._field()
            if depth == 0:
                result[name.decode()] = value.decode(errors="replace")


def connect_unix(path, timeout=10):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(path)
    return s
