# A task's provider-request flood, run inside the flooding task's container (as an agent's own HTTP client would):
# RATE POST requests a second to the broker (ANTHROPIC_BASE_URL) with the task's phantom token, over CONNS keep-alive
# connections, paced on one clock; a connection the broker closes is reopened. Runs until /tmp/stop-requests exists,
# then prints SENT=<n> CONNECTS=<n> STATUS=<code:count,...> (status -1: the connection failed or closed mid-answer).
import asyncio, os, sys, time, urllib.parse
from collections import Counter

rate, conns = int(sys.argv[1]), int(sys.argv[2])
base = urllib.parse.urlsplit(os.environ["ANTHROPIC_BASE_URL"])
token = os.environ["ANTHROPIC_API_KEY"]
body = b'{"flood":true}'
request = (f"POST {base.path.rstrip('/')}/v1/messages HTTP/1.1\r\nHost: {base.netloc}\r\nx-api-key: {token}\r\n"
           f"content-type: application/json\r\ncontent-length: {len(body)}\r\n\r\n").encode() + body
status, sent, connects, slot = Counter(), 0, 0, 0
start = time.monotonic()


async def answer(reader):
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    code = int(lines[0].split()[1])
    length, close = 0, False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"connection" and value.strip().lower() == b"close":
            close = True
    if length:
        await reader.readexactly(length)
    return code, close


async def client():
    global sent, connects, slot
    reader = writer = None
    while not os.path.exists("/tmp/stop-requests"):
        due = start + slot / rate
        slot += 1
        wait = due - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection(base.hostname, base.port)
                connects += 1
            writer.write(request)
            code, close = await asyncio.wait_for(answer(reader), 30)
        except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError, ValueError, IndexError):
            code, close = -1, True
        sent += 1
        status[code] += 1
        if close and writer is not None:
            writer.close()
            reader = writer = None


async def main():
    await asyncio.gather(*(client() for _ in range(conns)))


asyncio.run(main())
print("SENT=%d CONNECTS=%d STATUS=%s" % (sent, connects, ",".join("%d:%d" % kv for kv in sorted(status.items()))))
