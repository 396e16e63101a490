#!/usr/bin/env python3
"""mkvariants.py - the same packets in the other shapes a capture comes in, so that
check_ladder can show they all draw the same ladder (server.tun0.txt). From
server.tun0.cap (tcpdump -w on tun0: classic pcap, little-endian, microseconds, raw IP)
it writes, beside it:
  server.eth.cap     link type 1 (Ethernet), one with a VLAN tag
  server.sll.cap     link type 113 (Linux cooked, as older tcpdump -i any)
  server.be-ns.cap   big-endian, nanosecond time stamps (magic a1b23c4d)
  server.be-ns.pcapng  pcapng, big-endian section, two interfaces (a second, unused
                     one first), if_tsresol 9 (nanoseconds), epb_flags with each
                     packet's direction, a custom block to skip
Run from anywhere: python3 tests/ladder/mkvariants.py"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    magic, = struct.unpack("<I", data[:4])
    assert magic == 0xA1B2C3D4, "expected a little-endian microsecond pcap"
    link, = struct.unpack("<I", data[20:24])
    assert link == 101, "expected LINKTYPE_RAW"
    off, out = 24, []
    while off < len(data):
        sec, usec, incl, orig = struct.unpack("<IIII", data[off:off + 16])
        out.append((sec, usec * 1000, data[off + 16:off + 16 + incl], orig))
        off += 16 + incl
    return out


def write_pcap(path, pkts, link, frame, endian="<", nano=False):
    magic = 0xA1B23C4D if nano else 0xA1B2C3D4
    with open(path, "wb") as f:
        f.write(struct.pack(endian + "IHHiIII", magic, 2, 4, 0, 0, 262144, link))
        for i, (sec, nsec, pkt, orig) in enumerate(pkts):
            body = frame(i, pkt)
            frac = nsec if nano else nsec // 1000
            extra = len(body) - len(pkt)
            f.write(struct.pack(endian + "IIII", sec, frac, len(body), orig + extra))
            f.write(body)


def ethertype(pkt):
    return b"\x86\xdd" if pkt[0] >> 4 == 6 else b"\x08\x00"


def ethernet(i, pkt):
    if i == 2:   # one frame with an 802.1Q tag
        return b"\x02" * 6 + b"\x04" * 6 + b"\x81\x00\x00\x07" + ethertype(pkt) + pkt
    return b"\x02" * 6 + b"\x04" * 6 + ethertype(pkt) + pkt


def sll(i, pkt):
    outgoing = pkt[12:16] == bytes([10, 0, 0, 1])   # tun0's side sent it
    return struct.pack(">HHH8s", 4 if outgoing else 0, 0xFFFE, 0, b"") + ethertype(pkt) + pkt


def block(btype, body):
    body += b"\0" * (-len(body) % 4)
    n = len(body) + 12
    return struct.pack(">II", btype, n) + body + struct.pack(">I", n)


def option(code, value):
    return struct.pack(">HH", code, len(value)) + value + b"\0" * (-len(value) % 4)


def write_pcapng(path, pkts):
    shb = block(0x0A0D0D0A, struct.pack(">IHHq", 0x1A2B3C4D, 1, 0, -1))
    unused = block(1, struct.pack(">HHI", 101, 0, 0) + option(9, b"\x09") + option(0, b""))
    tun0 = block(1, struct.pack(">HHI", 101, 0, 0) + option(9, b"\x09") + option(0, b""))
    custom = block(0x00000BAD, struct.pack(">I", 32473) + b"skip me")
    out = [shb, unused, tun0, custom]
    for i, (sec, nsec, pkt, orig) in enumerate(pkts):
        ts = sec * 1000000000 + nsec
        inbound = pkt[12:16] == bytes([10, 0, 0, 2])    # the stack sent it: tun0 receives
        opts = option(2, struct.pack(">I", 1 if inbound else 2)) + option(0, b"")
        body = struct.pack(">IIIII", 1, ts >> 32, ts & 0xFFFFFFFF, len(pkt), orig)
        out.append(block(6, body + pkt + b"\0" * (-len(pkt) % 4) + opts))
    with open(path, "wb") as f:
        f.write(b"".join(out))


def main():
    pkts = read_pcap(os.path.join(HERE, "server.tun0.cap"))
    write_pcap(os.path.join(HERE, "server.eth.cap"), pkts, 1, ethernet)
    write_pcap(os.path.join(HERE, "server.sll.cap"), pkts, 113, sll)
    write_pcap(os.path.join(HERE, "server.be-ns.cap"), pkts, 101, lambda i, p: p, ">", True)
    write_pcapng(os.path.join(HERE, "server.be-ns.pcapng"), pkts)


if __name__ == "__main__":
    main()
