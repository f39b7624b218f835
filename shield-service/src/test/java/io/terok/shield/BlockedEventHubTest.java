package io.terok.shield;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.terok.shield.events.BlockedEvent;
import io.terok.shield.events.BlockedEventHub;
import io.terok.shield.events.NflogLine;
import io.terok.shield.netns.NsenterRunner;
import io.terok.shield.task.AuditLog;
import io.terok.shield.task.TaskStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BlockedEventHubTest {
    @TempDir
    Path tmp;

    @Test
    void tcpdumpLinesParse() {
        assertEquals(Optional.of(new NflogLine.Packet("198.18.0.3", 80, "tcp")),
                NflogLine.parse("IP 10.0.2.100.41234 > 198.18.0.3.80: tcp 0"));
        assertEquals(Optional.of(new NflogLine.Packet("198.18.0.3", 53, "udp")),
                NflogLine.parse("IP 10.0.2.100.5353 > 198.18.0.3.53: UDP, length 30"));
        assertEquals(Optional.of(new NflogLine.Packet("2001:db8::1", 443, "tcp")),
                NflogLine.parse("IP6 fd00::1.41234 > 2001:db8::1.443: tcp 0"));
        assertEquals("icmp", NflogLine.parse("IP 10.0.2.100 > 198.18.0.3: ICMP echo request, id 1, seq 1, length 64")
                .orElseThrow().protocol());
        assertTrue(NflogLine.parse("tcpdump: listening on nflog:100").isEmpty());
        // with -e, as the hub reads two groups at once: each line names its group
        assertEquals(Optional.of(new NflogLine.Logged(102, new NflogLine.Packet("198.18.0.3", 82, "tcp"))),
                NflogLine.parseLogged("version 0, resource ID 102, IPv4, length 108: 10.0.2.100.34758 > 198.18.0.3.82: tcp 0"));
        assertEquals(Optional.of(new NflogLine.Logged(100, new NflogLine.Packet("2001:db8::1", 443, "tcp"))),
                NflogLine.parseLogged("version 0, resource ID 100, IPv6, length 88: fd00::1.41234 > 2001:db8::1.443: tcp 0"));
        assertTrue(NflogLine.parseLogged("IP 10.0.2.100.41234 > 198.18.0.3.80: tcp 0").isEmpty());
    }

    @Test
    void deduplicatedInTheWindowWithDomainCountAndAudit() throws Exception {
        String task = TestShield.newTaskId();
        TaskStore store = new TaskStore(tmp);
        store.ensureDir(task);
        Files.writeString(store.dir(task).resolve("policy.json"), "{}");
        Files.writeString(store.dir(task).resolve("dnsmasq.log"),
                "Nov 25 10:00:00 dnsmasq[1]: reply name.test is 198.18.0.3\n");
        Instant[] now = {Instant.parse("2026-11-25T10:00:00Z")};
        Clock clock = new Clock() {
            public java.time.ZoneId getZone() {
                return ZoneOffset.UTC;
            }

            public Clock withZone(java.time.ZoneId z) {
                return this;
            }

            public Instant instant() {
                return now[0];
            }
        };
        List<BlockedEvent> got = new CopyOnWriteArrayList<>();
        try (BlockedEventHub hub = new BlockedEventHub(store, new NsenterRunner(false), 100, Duration.ofSeconds(30), clock,
                new AuditLog(clock), Duration.ofSeconds(60))) {
            hub.subscribe(task, got::add);
            hub.subscribe(TestShield.newTaskId(), e -> { throw new AssertionError("other task's subscriber"); });
            NflogLine.Packet p = new NflogLine.Packet("198.18.0.3", 80, "tcp");
            hub.offer(task, p);
            hub.offer(task, p);
            hub.offer(task, p);
            hub.offer(task, new NflogLine.Packet("ff02::16", 0, "icmp6"));
            assertEquals(1, got.size());
            assertEquals("name.test", got.get(0).domain());
            assertEquals(1, got.get(0).count());
            now[0] = now[0].plusSeconds(31);
            hub.offer(task, p);
            assertEquals(2, got.size());
            assertEquals(3, got.get(1).count(), "this one and the two folded into the window");
        }
        String audit = Files.readString(store.dir(task).resolve("audit.jsonl"));
        assertEquals(2, audit.lines().count());
        assertTrue(audit.contains("\"action\":\"blocked\",\"destination\":\"198.18.0.3:80\",\"detail\":\"tcp name.test\""), audit);
    }
}
