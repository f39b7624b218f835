# A task flooding blocked connections: N non-blocking TCP connects to N distinct destinations, sent at once, then
# each one's outcome within WAIT_MS: refused (a reset; "at once" when it came within 500 ms of the burst), still
# waiting (its SYNs dropped), or anything else. Prints "sent" after the burst, then one line of counts.
# Usage: python3 connect-burst.py N WAIT_MS
import errno, select, socket, sys, time

n, wait_ms = int(sys.argv[1]), int(sys.argv[2])
socks = {}
t0 = time.monotonic()
for i in range(n):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setblocking(False)
    err = s.connect_ex(("203.0.113.%d" % (i % 250 + 1), 1000 + i))
    if err not in (errno.EINPROGRESS, errno.ECONNREFUSED):
        raise SystemExit("connect %d: %s" % (i, errno.errorcode.get(err, err)))
    socks[s.fileno()] = s
sent_ms = (time.monotonic() - t0) * 1000
print("sent", flush=True)
poll = select.poll()
for fd in socks:
    poll.register(fd, select.POLLOUT | select.POLLERR | select.POLLHUP)
refused = at_once = other = 0
deadline = t0 + wait_ms / 1000
while socks and time.monotonic() < deadline:
    for fd, _ in poll.poll(max(1, int((deadline - time.monotonic()) * 1000))):
        s = socks.pop(fd)
        poll.unregister(fd)
        err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if err == errno.ECONNREFUSED:
            refused += 1
            at_once += (time.monotonic() - t0) * 1000 < sent_ms + 500
        else:
            other += 1
        s.close()
waited_ms = (time.monotonic() - t0) * 1000
print("refused=%d at_once=%d waiting=%d other=%d sent_ms=%d waited_ms=%d"
      % (refused, at_once, len(socks), other, sent_ms, waited_ms), flush=True)
