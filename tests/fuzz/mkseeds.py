#!/usr/bin/env python3
"""mkseeds.py - write the seed corpus of fuzz_stack.c: one small input per
scenario, each taking a connection along one path of RFC 9293's state diagram
(or feeding the parser one kind of malformed packet); and the reproducers of
what the fuzzer found, told in the same terms. The encoding is the driver's
(see the top of fuzz_stack.c); keep the two in step, and rerun this after
changing it (a crash file libFuzzer wrote decodes differently once the encoding
changes: the ones worth keeping are rewritten here).

    tests/fuzz/mkseeds.py [DIR [REGRESS_DIR]]
        (default: tests/fuzz/corpus and tests/fuzz/regress, both replaced)

Check a seed does what its name says:
    FUZZ_VERBOSE=1 build/fuzz/fuzz_stack tests/fuzz/corpus/NAME 2>&1 | grep -- '->'
"""
import os
import struct
import sys

# opcodes (fuzz_stack.c, enum at the top)
(OP_RAW, OP_RAWFIX, OP_SEG, OP_TIME, OP_SEND, OP_RECV, OP_CLOSE, OP_SHUTDOWN, OP_ABORT,
 OP_RELEASE, OP_ACCEPT, OP_CONNECT, OP_LISTEN, OP_SYN, OP_BULK, OP_PEER, OP_RUN, OP_FLOOD,
 OP_ICMP, OP_PROTO, OP_SOCKERR) = range(21)
FIN, SYN, RST, PSH, ACK, URG = 1, 2, 4, 8, 16, 32
# OP_PEER actions
P_ACK, P_DATA, P_FIN, P_FIN_NOT_OUR_FIN, P_SYNACK, P_RST, P_DUPACKS, P_SYN = range(8)
PEER_WND = {65535: 0, 0: 1, 1000: 2, 8192: 3}
MTUS = {1500: 0, 576: 1, 'default': 2, 88: 3}      # 'default': STACK_MTU (1500)


def u16(v):
    return struct.pack(">H", v & 0xffff)


def u32(v):
    return struct.pack(">I", v & 0xffffffff)


def s8(v):
    return struct.pack(">b", v)


def setup(listen=False, connect=False, accept=False, synack=False, peer_fin=False,
          close=False, delack=True, nagle=True, mtu=1500, cookies=False,
          abort_on_overflow=False, small_cap=False, fixed_isn=False, default_msl=False,
          no_trace=False):
    """The two setup bytes. Handles are numbered in the order they are taken:
    the listener (if listen), the connect (if connect), the accepted one."""
    a = (listen << 0 | connect << 1 | accept << 2 | synack << 3 | peer_fin << 4 | close << 5 |
         default_msl << 6 | no_trace << 7)
    c = ((not delack) << 0 | (not nagle) << 1 | MTUS[mtu] << 2 | cookies << 4 |
         abort_on_overflow << 5 | small_cap << 6 | fixed_isn << 7)
    return bytes([a, c])


def seg(t, flags, seq=0, ack=0, seq_abs=None, ack_abs=None, seq_scale=0, ack_scale=0,
        wnd=65535, mss=None, opts=None, dlen=0):
    """A segment to 4-tuple t: SEQ = RCV.NXT + seq * 256^seq_scale, ACK = SND.MAX +
    ack * 256^ack_scale (the stack's own numbers, as the driver saw them), or
    absolute. wnd: 65535, 0, 'peer' (the last one sent) or any number."""
    sm = 0x80 if seq_abs is not None else seq_scale
    am = 0x80 if ack_abs is not None else ack_scale
    wm = {65535: 0, 0: 1, 'peer': 2}.get(wnd, 3)
    om = 0 if mss is None and opts is None else 1 if mss is not None else 2
    dm = 0 if dlen == 0 else 3 if dlen == 1460 else 1 if dlen < 256 else 2
    b = bytes([OP_SEG, t, flags, sm, am, wm, om, dm])
    b += u32(seq_abs) if seq_abs is not None else s8(seq)
    b += u32(ack_abs) if ack_abs is not None else s8(ack)
    if wm == 3:
        b += u16(wnd)
    if om == 1:
        b += u16(mss)
    elif om == 2:
        b += bytes([len(opts)]) + bytes(opts)
    if dm == 1:
        b += bytes([dlen])
    elif dm == 2:
        b += u16(dlen)
    return b


def peer(t, action, wnd=65535, n=0, full=False, fin=False, keep_iss=False, no_mss=False,
         linux=False):
    """A well-behaved peer step on 4-tuple t (fuzz_stack.c cmd_peer): at the peer's
    own next sequence number, ACK of everything the stack sent."""
    a = action | PEER_WND[wnd] << 3
    if action == P_DATA:
        a |= (0x40 if full else 0) | (0x80 if fin else 0)
    if action in (P_SYNACK, P_SYN):
        # linux: MSS, sackOK, TS, wscale 7; the peer's segments then carry TSopt and
        # its duplicate ACKs SACK blocks
        a |= (0x80 if keep_iss else 0) | (0x40 if no_mss else 0) | (0x20 if linux else 0)
    if action == P_RST and fin:            # (reuse: RST with the ACK bit)
        a |= 0x80
    b = bytes([OP_PEER, t, a])
    if action == P_DATA and not full:
        b += bytes([n])
    return b


def send(h, n):
    if n == 'max':
        return bytes([OP_SEND, h, 3])
    return bytes([OP_SEND, h, 0, n]) if n < 256 else bytes([OP_SEND, h, 1]) + u16(n)


def recv(h, n='all'):
    return bytes([OP_RECV, h, 3]) if n == 'all' else bytes([OP_RECV, h, 0, n])


def user(op, h):
    return bytes([op, h, 0])


def close(h):
    return user(OP_CLOSE, h)


def shutdown(h):
    return user(OP_SHUTDOWN, h)


def abort(h):
    return user(OP_ABORT, h)


def release(h):
    return user(OP_RELEASE, h)


def accept(h):
    return user(OP_ACCEPT, h)


def connect(port=80):
    return bytes([OP_CONNECT, 0]) if port == 80 else bytes([OP_CONNECT, 1]) + u16(port)


def listen(port=1234, backlog=4):
    assert -128 <= backlog <= 127              # an int8 operand
    backlog &= 0xff
    if port == 1234:
        return bytes([OP_LISTEN, 0, backlog])
    return bytes([OP_LISTEN, 3]) + u16(port) + bytes([backlog])


def syn(rport_idx=0, complete=False, no_mss=False):
    """The peer 10.0.0.1:(40000+rport_idx) sends a SYN to port 1234 (and the ACK)."""
    return bytes([OP_SYN, rport_idx | (32 if no_mss else 0) | (128 if complete else 0)])


def bulk(t, n, fin=False, zero_wnd=False):
    return bytes([OP_BULK, t, n | (64 if fin else 0) | (128 if zero_wnd else 0)])


def flood(port, n, complete=False, no_mss=False, data=False):
    """n (1 + 4k) SYNs from 10.0.0.9 to port, each maybe completed (and with data)."""
    assert (n - 1) % 4 == 0 and n <= 253
    sel = {1234: 0, 80: 1, 40000: 2}.get(port, 3)
    b = bytes([OP_FLOOD, sel | complete << 2 | no_mss << 3 | data << 4])
    if sel == 3:
        b += u16(port)
    return b + bytes([(n - 1) // 4])


def run(ms):
    return bytes([OP_RUN]) + u16(ms)


def next_timer():
    return bytes([OP_TIME, 2])


def wait(ms, poll=True):
    return bytes([OP_TIME, 1 | (0 if poll else 4)]) + u16(ms)


def sockerr(h, drain=False):
    """tcp_sock_error (SO_ERROR); drain: twice more, the last must say 0."""
    return bytes([OP_SOCKERR, h, 1 if drain else 0])


# OP_ICMP (fuzz_stack.c cmd_icmp): kinds (icmp_kind: the low 5 bits), SEQ (icmp_seq), senders, MTUs
ICMP_KINDS = {'net': 0, 'host': 1, 'proto': 2, 'port': 3, 'needfrag': 4, 'srcroute': 5,
              'net-unknown': 6, 'host-unknown': 7, 'isolated': 8, 'net-prohib': 9, 'host-prohib': 10,
              'net-tos': 11, 'host-tos': 12, 'prohib': 13, 'precedence': 14, 'cutoff': 15,
              'code16': 16, 'time': 17, 'param': 18, 'quench': 19, 'redirect': 20, 'echo': 20 | 0x80,
              'echo-code1': 20 | 0xc0, 'any': 23}
ICMP_SEQS = {'una': 0, 'last': 1, 'max': 2, 'below-una': 3, 'inside': 4, 'iss': 5, 'abs': 6,
             'max+': 7}
ICMP_SENDERS = {'peer': 0, 'router': 1, 'gw': 2, 'other': 3, 'bcast': 6, 'mcast': 7}
ICMP_MTUS = [0, 67, 68, 69, 296, 576, 1000, 1280, 1500, 65535]
# the quote: well-formed, with IP options, IHL below 5, shorter than IHL + 8, not
# from us (detail 0-1: another source; 2: IPv6), not TCP (detail 0 UDP, 1 ICMP, 2 given)
ICMP_FORMS = {'ok': 0, 'ipopts': 3, 'ihl': 4, 'short': 5, 'not-us': 6, 'not-tcp': 7}


def icmp(t, kind='port', code=0, seq='una', arg=0, off=0, sender='peer', mtu=0, tot=None,
         form='ok', detail=0, full=False, outer_opts=False, bad_csum=False, qlen=0, qproto=17,
         typ=None):
    """An ICMP error about 4-tuple t from sender, quoting a segment with SEQ chosen
    from the stack's numbers (ICMP_SEQS; arg: the offset for 'inside' and 'max+',
    the number for 'abs'; off: a small offset added). code: of 'time' and 'param';
    typ: (type, code) for 'any'. mtu: the next-hop MTU; tot: the quoted total length
    (default the stack's MTU). form/detail/full/...: see cmd_icmp."""
    k = ICMP_KINDS[kind]
    if kind == 'time':
        k |= code << 7
    elif kind == 'param':
        k |= code << 5
    sm = ICMP_SEQS[seq] | (8 if off else 0) | ICMP_SENDERS[sender] << 4 | (0x80 if tot is not None else 0)
    mb = ICMP_MTUS.index(mtu) if mtu in ICMP_MTUS else 0xf0
    f = (ICMP_FORMS[form] | full << 3 | detail << 4 | outer_opts << 6 | bad_csum << 7)
    b = bytes([OP_ICMP, t, k, sm, mb, f])
    if mb == 0xf0:
        b += u16(mtu)
    if tot is not None:
        b += u16(tot)
    if kind == 'any':
        b += bytes(typ)
    if seq == 'inside':
        b += u16(arg)
    elif seq == 'abs':
        b += u32(arg)
    elif seq == 'max+':
        b += s8(arg)
    if off:
        b += s8(off)
    if form == 'short':
        b += bytes([qlen])
    elif form == 'not-tcp' and detail >= 2:
        b += bytes([qproto])
    return b


# OP_PROTO (fuzz_stack.c cmd_proto): sources, gaps (ms), payload lengths
PROTO_SRCS = {'peer': 0, '172.16.0.1': 1, 'other': 2, 'router': 3, '10.0.0.10': 4, '10.0.0.3': 5,
              'gw': 6, 'bcast': 8, 'lbcast': 9, 'mcast': 10, 'loopback': 11, 'zero': 12, 'us': 13,
              'zeronet': 14, 'mcast-last': 15}
PROTO_GAPS = {0: 0, 1: 2, 100: 3, 999: 4, 1000: 5, 1001: 6, 3000: 7}
PROTO_LENS = [0, 1, 7, 8, 9, 20, 100]


def proto(n=1, p=17, src='peer', gap=0, ihl=20, plen=8, alternate=False, frag=False, pad=False,
          rnd_src=None, not_us=False):
    """n datagrams of IP protocol p (17 UDP, 132 SCTP, any), gap ms apart, from src (or
    src and the next of PROTO_SRCS taking turns; or 10.0.x.y counting from rnd_src)."""
    assert 1 <= n <= 16
    m = {17: 0, 132: 2}.get(p, 3) | PROTO_SRCS[src] << 2 | {20: 0, 24: 1, 40: 2, 60: 3}[ihl] << 6
    c = (n - 1) | (PROTO_LENS.index(plen) if plen in PROTO_LENS else 7) << 4
    g = (PROTO_GAPS[gap] | alternate << 3 | frag << 4 | pad << 5 | (rnd_src is not None) << 6 |
         not_us << 7)
    b = bytes([OP_PROTO, m, c, g])
    if m & 3 == 3:
        b += bytes([p])
    if rnd_src is not None:
        b += u16(rnd_src)
    if plen not in PROTO_LENS:
        b += u16(plen)
    return b


def raw(pkt):
    return bytes([OP_RAW]) + u16(len(pkt)) + pkt


def rawfix(payload, proto='tcp', ihl_words=0, m_extra=0, m2=0):
    m = {'tcp': 0, 'icmp': 2, 'other': 3}[proto] | ihl_words << 2 | m_extra
    b = bytes([OP_RAWFIX, m, m2])
    if proto == 'other':
        b += bytes([17])
    return b + u16(len(payload)) + payload


def tcp_hdr(sport, dport, seq, ack, flags, wnd=65535, opts=b"", data=b""):
    off = (20 + len(opts) + 3) // 4
    opts = opts + b"\0" * (off * 4 - 20 - len(opts))
    return (u16(sport) + u16(dport) + u32(seq) + u32(ack) + bytes([off << 4, flags]) +
            u16(wnd) + u16(0) + u16(0) + opts + data)


# Handles: L = listener, A = connect()ed, P = accepted (with setup's flags).
SEEDS = {}

# --- opening ---------------------------------------------------------------
# passive open, data both ways, the peer closes first: LAST-ACK -> CLOSED
SEEDS["passive-open-data-passive-close"] = (
    setup(listen=True, accept=True) +
    peer(0, P_DATA, n=20) + recv(1) + send(1, 30) + peer(0, P_ACK) +
    peer(0, P_FIN) + recv(1) + close(1) + peer(0, P_ACK) + run(100))

# active open, data, the stack closes first: FIN-WAIT-1, -2, TIME-WAIT, CLOSED
SEEDS["active-open-active-close-time-wait"] = (
    setup(connect=True, synack=True) +
    send(0, 100) + peer(0, P_ACK) + peer(0, P_DATA, n=50) + run(50) + recv(0) +
    close(0) + peer(0, P_ACK) + peer(0, P_FIN) + run(300))

# simultaneous open (figure 7): SYN-SENT -> SYN-RECEIVED -> ESTABLISHED
SEEDS["simultaneous-open"] = (
    setup(connect=True) + peer(0, P_SYN) + peer(0, P_SYNACK, keep_iss=True) +
    send(0, 10) + peer(0, P_ACK) + close(0) + peer(0, P_FIN) + run(300))

# SACK and timestamps negotiated with a Linux-like SYN,ACK: bulk data, duplicate ACKs
# with SACK blocks (RFC 6675 recovery, NextSeg), a timeout, then everything ACKed
SEEDS["sack-ts-recovery-and-timeout"] = (
    setup(connect=True) + peer(0, P_SYNACK, linux=True) + send(0, 20000) + peer(0, P_ACK) +
    send(0, 30000) + peer(0, P_DUPACKS) + peer(0, P_DUPACKS) + run(300) + peer(0, P_ACK) +
    close(0) + peer(0, P_ACK) + peer(0, P_FIN) + run(300))

# timestamps on a passive-like open (simultaneous), data both ways, PAWS by a raw
# segment whose TSval is older than TS.Recent
SEEDS["sack-ts-simultaneous-open-data-both-ways"] = (
    setup(connect=True) + peer(0, P_SYN, linux=True) + peer(0, P_SYNACK, keep_iss=True, linux=True) +
    send(0, 3000) + peer(0, P_DATA, n=200) + recv(0) + peer(0, P_ACK) + run(50) +
    seg(0, ACK, opts=bytes([1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0]), dlen=10) +
    peer(0, P_DATA, full=True) + close(0) + peer(0, P_FIN) + run(300))

# simultaneous close: FIN-WAIT-1 -> CLOSING -> TIME-WAIT
SEEDS["simultaneous-close-closing"] = (
    setup(listen=True, accept=True) + close(1) + peer(0, P_FIN_NOT_OUR_FIN) +
    peer(0, P_ACK) + run(300))

# FIN and the ACK of our FIN together: FIN-WAIT-1 -> TIME-WAIT; then the FIN again
SEEDS["fin-wait-1-fin-ack-time-wait-refin"] = (
    setup(connect=True, synack=True, fixed_isn=True) + close(0) + peer(0, P_FIN) +
    wait(100) + seg(0, FIN | ACK, seq=-1) + run(400))

# half-close: shutdown, then the peer keeps sending in FIN-WAIT-2
SEEDS["half-close-fin-wait-2-receives"] = (
    setup(listen=True, accept=True) + shutdown(1) + peer(0, P_ACK) +
    peer(0, P_DATA, n=200) + peer(0, P_DATA, full=True) + recv(1) + peer(0, P_FIN) + recv(1) +
    run(300))

# CLOSE while the handshake is under way: SYN-RECEIVED -> FIN-WAIT-1 (simultaneous open)
SEEDS["close-in-syn-received"] = (
    setup(connect=True) + peer(0, P_SYN) + close(0) + peer(0, P_SYNACK, keep_iss=True) +
    peer(0, P_ACK) + peer(0, P_FIN) + run(300))

# nobody answers: SYN retransmissions, then ETIMEDOUT
SEEDS["syn-sent-timeout"] = setup(connect=True) + run(60000) + run(60000) + run(60000) + recv(0)

# a SYN,ACK that is lost: the peer's SYN again (duplicate), then a RST
SEEDS["syn-received-dup-syn-then-rst"] = (
    setup(listen=True) + syn(0) + syn(0) + run(1500) + peer(0, P_RST) + syn(1, complete=True) +
    accept(0) + run(100))

# --- resets, challenge ACKs, blind segments (RFC 5961) ----------------------
SEEDS["established-rst-exact-and-in-window"] = (
    setup(listen=True, accept=True) + seg(0, RST, seq=5) + seg(0, RST | ACK, seq=100, seq_scale=1) +
    seg(0, SYN, seq=3) + seg(0, ACK, ack=-100, ack_scale=2) + seg(0, ACK, ack=100) +
    peer(0, P_RST) + recv(1) + send(1, 5))

SEEDS["rst-in-closing-states"] = (
    setup(connect=True, synack=True) + close(0) + peer(0, P_FIN_NOT_OUR_FIN) + peer(0, P_RST) +
    connect(81) + peer(1, P_SYNACK) + peer(1, P_FIN) + close(1) + peer(1, P_RST, fin=True))

SEEDS["challenge-ack-flood"] = (
    setup(listen=True, accept=True) + b"".join(seg(0, SYN, seq=i) for i in range(1, 16)) +
    wait(1100) + seg(0, RST, seq=2))

# --- data: reassembly, windows, persist, congestion control -----------------
SEEDS["reassembly-holes-overlaps-fin-past-hole"] = (
    setup(listen=True, accept=True, delack=False) +
    seg(0, ACK, seq=100, dlen=20) + seg(0, ACK, seq=20, dlen=10) + seg(0, ACK, seq=110, dlen=15) +
    seg(0, FIN | ACK, seq=127) + seg(0, ACK, seq=0, dlen=100) + seg(0, ACK, seq=0, dlen=2) +
    recv(1) + close(1) + peer(0, P_ACK) + run(100))

# the 17th piece past holes is one too many (TCP_OOO_RANGES): dropped, counted;
# then a FIN at RCV.NXT ends the stream there (the pieces past it are cut)
SEEDS["reassembly-17-pieces"] = (
    setup(listen=True, accept=True) +
    b"".join(seg(0, ACK, seq=k, seq_scale=1, dlen=10) for k in range(1, 18)) +
    seg(0, ACK, seq=0, dlen=1460) + recv(1) + seg(0, FIN | ACK) + recv(1) + close(1) + peer(0, P_ACK))

# data that fills the window exactly, with a FIN: the FIN is past the window
SEEDS["fin-after-data-filling-the-window"] = (
    setup(listen=True, accept=True) + bulk(0, 44) + seg(0, FIN | ACK, dlen=65535 - 44 * 1460) +
    recv(1) + recv(1) + peer(0, P_FIN) + recv(1) + close(1) + peer(0, P_ACK))

SEEDS["receive-window-fills-zero-window-update"] = (
    setup(listen=True, accept=True) + bulk(0, 46) + peer(0, P_DATA, n=10) +
    recv(1, 200) + recv(1) + bulk(0, 3, fin=True) + recv(1) + recv(1) + close(1) + peer(0, P_ACK))

SEEDS["zero-window-persist-probes"] = (
    setup(listen=True, accept=True) + peer(0, P_ACK, wnd=0) + send(1, 3000) + run(2000) +
    peer(0, P_ACK, wnd=0) + run(5000) + peer(0, P_ACK, wnd=8192) + peer(0, P_ACK) + run(100))

SEEDS["small-window-sws-and-fast-retransmit"] = (
    setup(connect=True, synack=True, nagle=False) + peer(0, P_ACK, wnd=8192) + send(0, 20000) +
    peer(0, P_DUPACKS, wnd=8192) + peer(0, P_DUPACKS) + peer(0, P_ACK) + run(1000))

SEEDS["bulk-send-slow-start-rto-recovery"] = (
    setup(connect=True, synack=True) + send(0, 'max') + run(300) + peer(0, P_ACK) + run(200) +
    seg(0, ACK, ack=-4, ack_scale=1) + seg(0, ACK, ack=-4, ack_scale=1) +
    seg(0, ACK, ack=-4, ack_scale=1) + seg(0, ACK, ack=-4, ack_scale=1) + run(3000) +
    peer(0, P_ACK) + close(0) + run(60000))

SEEDS["delayed-ack-and-nagle"] = (
    setup(listen=True, accept=True) + peer(0, P_DATA, n=10) + wait(10) + send(1, 1) + send(1, 1) +
    peer(0, P_DATA, full=True) + peer(0, P_DATA, full=True) + run(50) + peer(0, P_ACK) + recv(1))

SEEDS["data-after-close-gets-rst"] = (
    setup(listen=True, accept=True) + close(1) + peer(0, P_DATA, n=10))

SEEDS["close-with-unread-data-rst"] = (
    setup(listen=True, accept=True) + peer(0, P_DATA, n=10) + close(1))

SEEDS["default-msl-time-wait-no-trace"] = (
    setup(connect=True, synack=True, default_msl=True, no_trace=True) + close(0) + peer(0, P_ACK) +
    peer(0, P_FIN) + run(30000) + seg(0, FIN | ACK, seq=-1) + run(65000))

SEEDS["mtu-88-tiny-segments"] = (
    setup(connect=True, synack=True, mtu=88) + send(0, 500) + peer(0, P_ACK) + run(300) +
    peer(0, P_ACK) + close(0) + peer(0, P_FIN) + run(300))

# --- listeners: queues, cookies, overflow ------------------------------------
SEEDS["listener-backlog-syncookies"] = (
    setup(listen=True, cookies=True) + b"".join(syn(i) for i in range(6)) +
    peer(5, P_ACK) + peer(4, P_DATA, n=5) + accept(0) + accept(0) + run(100))

# a child completes its handshake with the accept queue full (backlog 2: 3 wait
# already): with abort_on_overflow it gets a RST
# eight listeners of backlog 127, each flooded: 128 connections wait to be
# accepted on each, the TCB table (1024) fills, and a connect() gets ENOBUFS
SEEDS["syn-flood-fills-the-tcb-table"] = (
    setup() + b"".join(listen(p, 127) + flood(p, 129, complete=True)
                       for p in (1234, 80, 2000, 2001, 2002, 2003, 2004, 2005)) +
    connect(81) + accept(0) + connect(81) + run(1000))

# the half-open queue full: SYN cookies; their ACKs open connections (with data)
SEEDS["syn-flood-with-cookies"] = (
    setup(cookies=True, fixed_isn=True) + listen(1234, 2) + flood(1234, 5) +
    flood(1234, 9, complete=True, data=True) + flood(1234, 5, complete=True, no_mss=True) +
    accept(0) + accept(0) + run(70000) + flood(1234, 5, complete=True))

SEEDS["accept-queue-overflow-abort"] = (
    setup(abort_on_overflow=True) + listen(1234, 2) + syn(0) + syn(1) + peer(0, P_ACK) +
    syn(2) + peer(1, P_ACK) + syn(3) + peer(2, P_ACK) + peer(3, P_ACK) + accept(0) + run(2000))

SEEDS["listener-closed-with-children"] = (
    setup(listen=True) + syn(0) + syn(1, complete=True) + syn(2, complete=True) +
    peer(2, P_FIN) + close(0) + run(100))

SEEDS["abort-and-release-in-every-state"] = (
    setup(listen=True, connect=True, accept=True, synack=True) + abort(0) + abort(1) +
    release(1) + release(2) + connect() + abort(3) + abort(3) + run(100))

# --- malformed input ---------------------------------------------------------
SEEDS["malformed-options-syn-to-listener"] = (
    setup(listen=True) +
    raw(b"") + rawfix(tcp_hdr(40100, 1234, 1, 0, SYN, opts=bytes([2, 4, 0, 1]))) +
    rawfix(tcp_hdr(40101, 1234, 1, 0, SYN, opts=bytes([2, 3, 5]))) +
    rawfix(tcp_hdr(40102, 1234, 1, 0, SYN, opts=bytes([3, 3, 15, 1, 4, 2, 8, 10]))) +
    rawfix(tcp_hdr(40103, 1234, 1, 0, SYN, opts=bytes([7, 0]))) +
    rawfix(tcp_hdr(40104, 1234, 1, 0, SYN, opts=bytes([1, 1, 1, 2, 40]))) +
    rawfix(tcp_hdr(40105, 1234, 1, 0, SYN | FIN)) + rawfix(tcp_hdr(0, 1234, 1, 0, SYN)))

SEEDS["malformed-options-in-every-state"] = (
    setup(listen=True, accept=True) +
    seg(0, ACK, opts=[2, 1]) + seg(0, ACK, opts=[5, 255]) + seg(0, ACK | PSH, opts=[8, 10] + [0] * 8,
                                                                 dlen=5) +
    close(1) + seg(0, ACK, opts=[3, 3, 200]) + seg(0, FIN | ACK, opts=[2, 4, 0, 0]) +
    seg(0, ACK, opts=[1] * 39 + [2]) + run(300))

SEEDS["ip-header-garbage"] = (
    setup(listen=True) +
    raw(bytes([0x45, 0, 0, 10])) + raw(bytes([0x60]) + bytes(39)) +
    raw(bytes([0x4f]) + bytes(19)) +
    rawfix(bytes(8), proto='icmp') + rawfix(bytes([8, 0, 0, 0, 1, 2, 3, 4]), proto='icmp') +
    rawfix(bytes(20), proto='other') + rawfix(tcp_hdr(1, 1234, 0, 0, SYN), ihl_words=2) +
    rawfix(tcp_hdr(1, 1234, 0, 0, SYN), m_extra=0x40, m2=0xff) +
    rawfix(tcp_hdr(1, 1234, 0, 0, SYN), m_extra=0x20, m2=4) +
    rawfix(tcp_hdr(1, 1234, 0, 0, SYN)[:12] + bytes([0xf0]) + bytes(7)))


# --- ICMP: errors for connections (tcp_icmp.c), other protocols (icmp.c) ----
# port unreachable for our SYN: the connect fails with ECONNREFUSED
SEEDS["icmp-port-unreachable-in-syn-sent"] = (
    setup(connect=True) + icmp(0, 'port', seq='max') + icmp(0, 'port', seq='iss') + recv(0) +
    sockerr(0, drain=True) + connect(81) + icmp(1, 'host', sender='router', seq='una') +
    connect(82) + icmp(2, 'time', code=0, sender='gw') + run(100))

# host unreachable and time exceeded while established: soft errors, the data goes on
SEEDS["icmp-soft-error-established-then-data"] = (
    setup(connect=True, synack=True) + send(0, 100) + icmp(0, 'host', sender='router') +
    sockerr(0) + icmp(0, 'port', seq='inside', arg=50) + peer(0, P_DATA, n=20) + recv(0) +
    send(0, 100) + icmp(0, 'time', code=1, sender='gw', seq='last') + icmp(0, 'param', code=2) +
    icmp(0, 'net-prohib', seq='max') + icmp(0, 'host', seq='below-una') + peer(0, P_ACK) +
    sockerr(0, drain=True) + close(0) + peer(0, P_FIN) + run(300))

# fragmentation needed during a transfer: the MSS drops (1460 -> 536 -> plateau ->
# 28), what is in flight goes again in smaller segments
SEEDS["icmp-fragmentation-needed-during-transfer"] = (
    setup(connect=True, synack=True, nagle=False) + send(0, 20000) +
    icmp(0, 'needfrag', mtu=576, sender='router') + peer(0, P_ACK) +
    icmp(0, 'needfrag', mtu=0, tot=576, seq='last') + run(200) + peer(0, P_ACK) +
    icmp(0, 'needfrag', mtu=1500) + icmp(0, 'needfrag', mtu=67, sender='gw') + run(300) +
    peer(0, P_ACK) + peer(0, P_DUPACKS) + run(1000) + peer(0, P_ACK) + close(0) + peer(0, P_ACK) +
    peer(0, P_FIN) + run(300))

# fragmentation needed in every state: SYN-SENT (then the SYN,ACK), a zero window
# with data in flight, FIN-WAIT-1, a half-open child
SEEDS["icmp-fragmentation-needed-everywhere"] = (
    setup(listen=True, connect=True, accept=True, mtu=576) + icmp(0, 'needfrag', mtu=296) +
    peer(0, P_SYNACK) + send(1, 1000) + peer(0, P_ACK) + icmp(1, 'needfrag', mtu=69, seq='una') +
    send(2, 3000) + seg(1, ACK, ack=-4, ack_scale=1, wnd=0) +
    icmp(1, 'needfrag', mtu=68, seq='inside', arg=7) + run(1000) + peer(1, P_ACK) + close(2) +
    icmp(1, 'needfrag', mtu=1000, seq='last') + peer(1, P_ACK) + syn(3) +
    icmp(2, 'needfrag', mtu=65535, seq='iss') + icmp(2, 'needfrag', mtu=100, seq='iss') + run(300))

# a half-open child: soft errors keep it, a hard one drops it; simultaneous open
# (an active SYN-RECEIVED) aborts on any error
SEEDS["icmp-errors-in-syn-received"] = (
    setup(listen=True) + syn(0) + icmp(0, 'host', seq='iss') + icmp(0, 'port', seq='iss') + syn(1) +
    icmp(1, 'prohib', seq='iss', sender='router') + syn(2) + icmp(2, 'quench', seq='iss') +
    connect(80) + peer(3, P_SYN) + icmp(3, 'net', seq='una') + recv(1) + run(100))

# malformed and misdirected errors: all dropped, counted, nothing changes
SEEDS["icmp-malformed-and-misdirected-errors"] = (
    setup(connect=True, synack=True) + send(0, 300) +
    icmp(0, 'port', form='ihl', detail=3) + icmp(0, 'port', form='ihl', full=True) +
    icmp(0, 'port', form='short', qlen=27) + icmp(0, 'port', form='short', qlen=3) +
    icmp(0, 'port', form='not-us') + icmp(0, 'port', form='not-us', detail=2) +
    icmp(0, 'port', form='not-tcp') + icmp(0, 'port', form='not-tcp', detail=1) +
    icmp(0, 'port', form='ipopts', detail=3, full=True, outer_opts=True) +
    icmp(0, 'port', bad_csum=True) + icmp(0, 'port', sender='bcast') + icmp(0, 'host', sender='mcast') +
    icmp(0, 'code16') + icmp(0, 'redirect') + icmp(0, 'any', typ=(42, 7)) +
    icmp(0, 'echo', full=True) + icmp(0, 'echo-code1') + icmp(0, 'echo', sender='bcast') +
    icmp(0, 'echo', form='short', qlen=0) +
    icmp(0, 'any', typ=(3, 255)) + icmp(0, 'port', seq='abs', arg=12345) +
    icmp(0, 'port', seq='max+', arg=-1, off=3) + peer(0, P_ACK) + icmp(0, 'port', seq='una') +
    close(0) + peer(0, P_FIN) + run(300))

# UDP (and SCTP, and protocol 250) datagrams: protocol unreachable, 6 at once and
# then one a second per source; never to a broadcast, multicast or bogus source, a
# fragment, or a datagram not for us
SEEDS["udp-datagram-burst-rate-limit"] = (
    setup(listen=True) + proto(n=10) + proto(n=3, gap=1000) + proto(n=4, gap=999, src='router') +
    proto(n=8, src='other', alternate=True) + proto(n=4, p=132, plen=0, src='gw') +
    proto(n=2, p=250, plen=7, ihl=60, src='10.0.0.3') + proto(n=3, ihl=24, plen=100, pad=True) +
    proto(n=16, rnd_src=17) + proto(n=2, frag=True) + proto(n=4, not_us=True) +
    b"".join(proto(n=2, src=b) for b in ('bcast', 'lbcast', 'mcast', 'loopback', 'zero', 'us',
                                          'zeronet', 'mcast-last')) +
    run(3000) + proto(n=16, gap=100, plen=1400) + syn(0, complete=True) + peer(0, P_DATA, n=5) +
    accept(0) + recv(1) + proto(n=16, gap=1001) + run(100))

# --- what the fuzzer found (tests/check_fuzz_regress.c tells the same stories) ---
REGRESS = {}

# a fast retransmit of 149 bytes in flight resent them with the 134 Nagle held
# back, past SND.MAX (fixed in c8a5aea)
REGRESS["fast-retransmit-sends-past-snd-max"] = (
    setup(connect=True, synack=True) + send(0, 149) + send(0, 134) + peer(0, P_DUPACKS))

# a FIN past a hole, shutdown, then a FIN at RCV.NXT acknowledging ours: stuck in
# FIN-WAIT-1 with no timer, forever (fixed in 46217ef)
REGRESS["fin-wait-1-stuck-after-a-second-fin"] = (
    setup(listen=True, accept=True) + seg(0, FIN | ACK, seq=23) + shutdown(1) + seg(0, FIN | ACK))

# a FIN inside data held past a hole: bytes past the FIN delivered, the FIN never
# taken (fixed in 46217ef)
REGRESS["fin-inside-data-held-past-a-hole"] = (
    setup(listen=True, accept=True) + seg(0, ACK, seq=62, dlen=100) + seg(0, FIN | ACK, dlen=80))

# with MTU 88, protocol unreachable for a datagram with 40 bytes of IP options
# quotes 60 + 7 bytes: a 95-byte packet (with DF) on an 88-byte link (fixed in e00e4f5)
REGRESS["protocol-unreachable-larger-than-the-mtu"] = (
    setup(mtu=88) + proto(p=250, plen=7, ihl=60, src='10.0.0.3'))

# 10.0.0.1 and 172.16.0.1 take turns: they hash to the same slot of the rate limiter,
# each takes it over with a full bucket, and every datagram is answered (fixed in e00e4f5)
REGRESS["icmp-rate-limit-reset-by-a-colliding-source"] = setup() + proto(n=16, alternate=True)


def write(out, inputs, what):
    os.makedirs(out, exist_ok=True)
    for f in os.listdir(out):
        os.unlink(os.path.join(out, f))
    for name, data in inputs.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
    print(f"mkseeds: {len(inputs)} {what} in {out}")


def main():
    here = os.path.dirname(__file__)
    write(sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "corpus"), SEEDS, "seeds")
    write(sys.argv[2] if len(sys.argv) > 2 else os.path.join(here, "regress"), REGRESS, "reproducers")


if __name__ == "__main__":
    main()
