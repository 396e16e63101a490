#!/usr/bin/env python3
"""The calls an unmodified program makes, one by one, on stack sockets (t_preload_calls.sh).

  preload_calls.py kernel-helper     the kernel side (10.0.0.1): echo on 6001, a server
                                     that resets on 6002, one that reports how its
                                     connection ended on 6003 (to 6004)
  preload_calls.py stack-client      on the stack (tuntcp-run): every check, against it
  preload_calls.py epoll-server      on the stack: a selectors (epoll) echo server, 7001
  preload_calls.py forking-server    on the stack: socketserver.ForkingTCPServer, 7002
  preload_calls.py kernel-epoll N    the kernel side: N messages to the epoll server
  preload_calls.py kernel-forking    the kernel side: 3 requests to the forking server

Each check prints "ok: WHAT" or "FAIL: WHAT (why)"; the exit status is the failures'."""
import errno, fcntl, os, select, selectors, signal, socket, socketserver, struct, sys, termios
import threading, time

K, S = "10.0.0.1", "10.0.0.2"
fails = 0


def check(what, cond, why=""):
    global fails
    print(("ok: " if cond else "FAIL: ") + what + ("" if cond else " (%s)" % why), flush=True)
    fails += not cond


def kernel_helper():
    def echo(c):
        while d := c.recv(65536):
            c.sendall(d)
        c.close()

    def reset(c):
        c.recv(100)
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        c.close()

    def report(c):
        try:
            while c.recv(65536):
                pass
            how = "fin"
        except ConnectionResetError:
            how = "reset"
        c.close()
        r = socket.create_connection((S, 6004))   # tell the stack's side: it listens there
        r.sendall(how.encode())
        r.close()

    def serve(port, fn):
        ls = socket.socket()
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind((K, port))
        ls.listen(16)
        while True:
            c, _ = ls.accept()
            threading.Thread(target=fn, args=(c,), daemon=True).start()

    for port, fn in ((6001, echo), (6002, reset), (6003, report)):
        threading.Thread(target=serve, args=(port, fn), daemon=True).start()
    print("kernel-helper: listening", flush=True)
    signal.sigwait([signal.SIGTERM, signal.SIGINT])


def expect_errno(what, err, fn):
    try:
        fn()
        check(what, False, "no error")
    except OSError as e:
        check(what, e.errno == err, "errno %s" % errno.errorcode.get(e.errno, e.errno))


def stack_client():
    # blocking connect, names, options
    s = socket.create_connection((K, 6001))
    local, peer = s.getsockname(), s.getpeername()
    check("getsockname: the stack's address and an ephemeral port", local[0] == S and local[1] >= 1024, local)
    check("getpeername: the kernel's address and port", peer == (K, 6001), peer)
    check("SO_TYPE, SO_DOMAIN, SO_PROTOCOL: an IPv4 TCP socket",
          (s.getsockopt(socket.SOL_SOCKET, socket.SO_TYPE), s.getsockopt(socket.SOL_SOCKET, socket.SO_DOMAIN),
           s.getsockopt(socket.SOL_SOCKET, socket.SO_PROTOCOL)) == (socket.SOCK_STREAM, socket.AF_INET, socket.IPPROTO_TCP))
    info = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
    check("TCP_INFO: tcpi_state ESTABLISHED (1), an RTO, an MSS of 1460",
          info[0] == 1 and struct.unpack_from("I", info, 8)[0] > 0 and struct.unpack_from("I", info, 16)[0] == 1460,
          (info[0], struct.unpack_from("II", info, 8)))
    for opt, val in ((socket.SO_KEEPALIVE, 1), (socket.SO_REUSEADDR, 1)):
        s.setsockopt(socket.SOL_SOCKET, opt, val)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 30)
    check("setsockopt: SO_KEEPALIVE, TCP_NODELAY read back as set",
          s.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1 and s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1)
    expect_errno("an option the stack does not have: ENOPROTOOPT", errno.ENOPROTOOPT,
                 lambda: s.setsockopt(socket.IPPROTO_TCP, socket.TCP_FASTOPEN, 5))

    # data: send/recv, MSG_PEEK, MSG_WAITALL, FIONREAD, readv/writev, sendmsg/recvmsg
    s.sendall(b"hello")
    check("MSG_PEEK sees the echo and leaves it", s.recv(5, socket.MSG_PEEK | socket.MSG_WAITALL) == b"hello")
    time.sleep(0.05)
    n = struct.unpack("i", fcntl.ioctl(s.fileno(), termios.FIONREAD, b"\0\0\0\0"))[0]
    check("ioctl FIONREAD: 5 bytes waiting", n == 5, n)
    check("recv after the peek", s.recv(5, socket.MSG_WAITALL) == b"hello")
    os.writev(s.fileno(), [b"ab", b"cd"])
    check("writev, then readv", os.readv(s.fileno(), [bytearray(4)]) == 4)
    s.sendmsg([b"xy", b"z"])
    data, _, _, _ = s.recvmsg(3, 0, socket.MSG_WAITALL)
    check("sendmsg, recvmsg", data == b"xyz", data)
    big = os.urandom(1 << 20)
    t = threading.Thread(target=lambda: s.sendall(big))
    t.start()
    got = bytearray()
    while len(got) < len(big):
        got += s.recv(1 << 16)
    t.join()
    check("1 MiB in one sendall (4 times the send buffer) comes back intact", bytes(got) == big)

    # O_NONBLOCK, MSG_DONTWAIT, SO_RCVTIMEO
    s.setblocking(False)
    expect_errno("non-blocking recv with nothing there: EAGAIN", errno.EAGAIN, lambda: s.recv(10))
    s.setblocking(True)
    expect_errno("MSG_DONTWAIT: EAGAIN", errno.EAGAIN, lambda: s.recv(10, socket.MSG_DONTWAIT))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, struct.pack("ll", 0, 200000))
    t0 = time.monotonic()
    expect_errno("SO_RCVTIMEO 0.2 s: EAGAIN after it", errno.EAGAIN, lambda: s.recv(10))
    check("  ... and not before", time.monotonic() - t0 >= 0.19)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, struct.pack("ll", 0, 0))

    # dup, dup2, fcntl(F_DUPFD_CLOEXEC), close of one copy
    d = os.dup(s.fileno())
    os.write(d, b"dup")
    check("dup: the copy is the same connection", s.recv(3, socket.MSG_WAITALL) == b"dup")
    os.close(d)
    d2 = 100
    os.dup2(s.fileno(), d2)
    check("dup2: getpeername on the copy", socket.socket(fileno=os.dup(d2)).getpeername() == (K, 6001))
    os.close(d2)
    s.sendall(b"still")
    check("closing copies leaves the connection open", s.recv(5, socket.MSG_WAITALL) == b"still")

    # sendfile from a file
    path = "/tmp/preload-calls-%d" % os.getpid()
    with open(path, "wb") as f:
        f.write(os.urandom(300000))
    with open(path, "rb") as f:
        sent = os.sendfile(s.fileno(), f.fileno(), 0, 300000)
        while sent < 300000:
            sent += os.sendfile(s.fileno(), f.fileno(), sent, 300000 - sent)
    got = bytearray()
    while len(got) < 300000:
        got += s.recv(65536)
    check("sendfile: 300 KB from a file, echoed intact", bytes(got) == open(path, "rb").read())
    os.unlink(path)
    s.shutdown(socket.SHUT_WR)
    check("shutdown(SHUT_WR): the peer's echo ends, end of file", s.recv(10) == b"")
    s.close()

    # the peer resets: ECONNRESET once, then EPIPE (and SIGPIPE) on send
    r = socket.create_connection((K, 6002))
    r.sendall(b"x")
    time.sleep(0.2)
    expect_errno("after the peer's RST: recv says ECONNRESET", errno.ECONNRESET, lambda: r.recv(10))
    expect_errno("then send says EPIPE", errno.EPIPE, lambda: r.send(b"y"))
    r.close()
    # connect to a closed port: blocking, and non-blocking with EINPROGRESS then SO_ERROR
    expect_errno("blocking connect to a closed port: ECONNREFUSED", errno.ECONNREFUSED,
                 lambda: socket.create_connection((K, 6999)))
    n = socket.socket()
    n.setblocking(False)
    check("non-blocking connect: EINPROGRESS", n.connect_ex((K, 6999)) == errno.EINPROGRESS)
    _, w, _ = select.select([], [n], [], 5)
    check("  ... select says writable when it is over", w == [n])
    err = n.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    check("  ... and SO_ERROR says ECONNREFUSED", err == errno.ECONNREFUSED, errno.errorcode.get(err, err))
    n.close()
    n = socket.socket()
    n.setblocking(False)
    n.connect_ex((K, 6001))
    p = select.poll()
    p.register(n, select.POLLOUT)
    check("non-blocking connect that succeeds: POLLOUT, SO_ERROR 0",
          p.poll(5000) and n.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0)
    n.setblocking(True)
    n.sendall(b"nb")
    check("  ... and the connection works", n.recv(2, socket.MSG_WAITALL) == b"nb")
    n.close()

    # SO_LINGER 0: close sends RST (the kernel side's recv says ECONNRESET)
    ls = socket.socket()
    ls.bind((S, 6004))
    ls.listen(4)
    for linger, want in ((True, "reset"), (False, "fin")):
        c = socket.create_connection((K, 6003))
        c.sendall(b"data")
        if linger:
            c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        c.close()
        a, _ = ls.accept()
        how = a.recv(10).decode()
        a.close()
        check("close with SO_LINGER %s: the peer sees %s" % ("0" if linger else "off", want), how == want, how)
    ls.close()

    # bind port 0 picks an ephemeral port; the listener's name
    l0 = socket.socket()
    l0.bind(("0.0.0.0", 0))
    l0.listen()
    name = l0.getsockname()
    check("bind port 0 + listen: an ephemeral port, 0.0.0.0 as bound", name[0] == "0.0.0.0" and name[1] >= 32768, name)
    check("SO_ACCEPTCONN on a listener", l0.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN) == 1)
    l0.setblocking(False)
    expect_errno("non-blocking accept with no connection: EAGAIN", errno.EAGAIN, l0.accept)
    l0.close()

    # 127.0.0.0/8 stays with the kernel
    lo = socket.socket()
    lo.bind(("127.0.0.1", 0))
    lo.listen()
    c = socket.create_connection(lo.getsockname())
    a, _ = lo.accept()
    c.sendall(b"lo")
    check("127.0.0.1 stays the kernel's (a loopback connection works)", a.recv(2) == b"lo")
    for x in (a, c, lo):
        x.close()

    # UNIX sockets and UDP stay the kernel's
    u1, u2 = socket.socketpair()
    u1.sendall(b"u")
    check("a UNIX socketpair is the kernel's", u2.recv(1) == b"u" and u1.family == socket.AF_UNIX)
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    udp.sendto(b"d", udp.getsockname())
    check("UDP is the kernel's", udp.recv(1) == b"d")

    # exec keeps it: a shell writes to the connection it inherited as fd 3
    s = socket.create_connection((K, 6001))
    import subprocess
    subprocess.run(["sh", "-c", "printf exec >&3"], pass_fds=[3] if s.fileno() == 3 else [],
                   preexec_fn=lambda: os.dup2(s.fileno(), 3) if s.fileno() != 3 else None, check=True)
    check("exec keeps it: a shell's printf >&3 reaches the peer", s.recv(4, socket.MSG_WAITALL) == b"exec")
    s.close()

    # a forked child keeps the connection its parent opened
    s = socket.create_connection((K, 6001))
    pid = os.fork()
    if pid == 0:
        s.sendall(b"from the child")
        ok = s.recv(14, socket.MSG_WAITALL) == b"from the child"
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    check("a forked child uses its parent's connection", status == 0, status)
    s.sendall(b"parent")
    check("  ... and the parent still does", s.recv(6, socket.MSG_WAITALL) == b"parent")
    s.close()


def epoll_server():
    sel = selectors.EpollSelector()
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((S, 7001))
    ls.listen(128)
    ls.setblocking(False)
    sel.register(ls, selectors.EVENT_READ)
    print("epoll-server: listening", flush=True)
    while True:
        for key, _ in sel.select():
            if key.fileobj is ls:
                c, _ = ls.accept()
                c.setblocking(False)
                sel.register(c, selectors.EVENT_READ)
                continue
            c = key.fileobj
            try:
                d = c.recv(65536)
            except BlockingIOError:
                continue
            if d:
                c.sendall(d)        # small messages: they fit
            else:
                sel.unregister(c)
                c.close()


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        d = self.request.recv(100)
        self.request.sendall(b"pid %d: %s" % (os.getpid(), d))


def forking_server():
    socketserver.ForkingTCPServer.allow_reuse_address = True
    with socketserver.ForkingTCPServer((S, 7002), Handler) as srv:
        print("forking-server: listening, pid %d" % os.getpid(), flush=True)
        srv.serve_forever()


def kernel_client_epoll(n):
    # 10 clients at once, each sending n/10 messages and waiting for each echo
    def one(k, out):
        c = socket.create_connection((S, 7001), timeout=10)
        for i in range(n // 10):
            m = b"message %d.%d\n" % (k, i)
            c.sendall(m)
            got = b""
            while len(got) < len(m):
                got += c.recv(100)
            if got != m:
                out.append((k, i, got))
                break
        c.close()
    bad = []
    ts = [threading.Thread(target=one, args=(k, bad)) for k in range(10)]
    [t.start() for t in ts]
    [t.join() for t in ts]
    check("epoll echo server on the stack: %d messages on 10 connections at once, every echo right" % n,
          not bad, bad[:3])


def kernel_client_forking():
    pids = set()
    for i in range(3):
        c = socket.create_connection((S, 7002), timeout=10)
        c.sendall(b"req %d" % i)
        r = c.recv(100)
        c.close()
        ok = r.endswith(b"req %d" % i)
        pids.add(r.split(b":")[0])
        check("ForkingTCPServer on the stack answers request %d from a child (%s)" % (i, r.decode()), ok, r)
    check("  ... three children, three pids", len(pids) == 3, pids)


if __name__ == "__main__":
    mode = sys.argv[1]
    {"kernel-helper": kernel_helper, "stack-client": stack_client, "epoll-server": epoll_server,
     "forking-server": forking_server, "kernel-forking": kernel_client_forking,
     "kernel-epoll": lambda: kernel_client_epoll(int(sys.argv[2]))}[mode]()
    sys.exit(min(fails, 100))
