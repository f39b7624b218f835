package io.terok.console.timeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.terok.api.v1.AuditEntry;
import io.terok.api.v1.AuditRecord;
import io.terok.api.v1.BlockedConnection;
import io.terok.api.v1.ClearanceRequest;
import io.terok.api.v1.Outcome;
import io.terok.api.v1.Push;
import io.terok.api.v1.RefUpdate;
import io.terok.api.v1.VerdictResponse;
import io.terok.common.ProtoTime;
import io.terok.console.timeline.TimelineEntry.Kind;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The merge and the cause-effect links of a task's timeline, from hand-built service events. */
class TaskTimelineTest {
    static final String TASK = "0123456789abcdef0123456789abcdef";
    static final String OTHER = "fedcba9876543210fedcba9876543210";
    static final Instant T0 = Instant.parse("2026-12-06T20:00:00Z");

    static BlockedConnection blocked(int ms, String ip, int port, boolean passed) {
        return BlockedConnection.newBuilder().setTaskId(TASK).setDestinationIp(ip).setDestinationPort(port)
                .setProtocol("tcp").setDomain("api.example.test").setTime(ProtoTime.of(T0.plusMillis(ms)))
                .setCount(1).setPassed(passed).build();
    }

    static ClearanceRequest prompt(int ms, String id, String ip, int port) {
        return ClearanceRequest.newBuilder().setId(id).setTaskId(TASK).setDestinationIp(ip).setDestinationPort(port)
                .setProtocol("tcp").setDomain("api.example.test").setCount(1).setFirstSeen(ProtoTime.of(T0.plusMillis(ms)))
                .setLastSeen(ProtoTime.of(T0.plusMillis(ms))).build();
    }

    static VerdictResponse verdict(String id, Outcome o) {
        return VerdictResponse.newBuilder().setRequestId(id).setOutcome(o).build();
    }

    static TimelineEntry entry(String id, int ms, Kind kind, String text) {
        return new TimelineEntry(id, T0.plusMillis(ms), TASK, kind, "", "", "", "", text);
    }

    @Test
    void mergesTheFourWitnessesInTimeOrder() {
        Timelines all = new Timelines();
        all.add(TimelineEvents.fromPush(Push.newBuilder().setTaskId(TASK).setTime(ProtoTime.of(T0.plusMillis(4000)))
                .addUpdates(RefUpdate.newBuilder().setRef("refs/heads/fix").setOldId("0".repeat(40))
                        .setNewId("a1b2c3d4e5f60718293a4b5c6d7e8f9012345678").setKind("create")).build()));
        all.add(TimelineEvents.fromVault(AuditEntry.newBuilder().setTaskId(TASK).setTime(ProtoTime.of(T0.plusMillis(1000)))
                .setProvider("anthropic").setMethod("POST").setPath("/v1/messages").setStatus(200).setOutcome("ok")
                .setDurationMs(812).setTokenId("tok1").build()));
        TimelineEvents.fromShield(blocked(2000, "198.18.0.7", 443, false)).ifPresent(all::add);
        all.add(TimelineEvents.fromShieldAudit(AuditRecord.newBuilder().setTaskId(TASK).setTime(ProtoTime.of(T0))
                .setAction("setup").setDetail("profiles dev-standard").build()));
        all.add(TimelineEvents.fromPrompt(prompt(2050, "r1", "198.18.0.7", 443)));

        List<TaskTimeline.Item> items = all.of(TASK).items();
        assertEquals(List.of(Kind.FIREWALL, Kind.RELAYED, Kind.BLOCKED, Kind.PROMPT, Kind.PUSH),
                items.stream().map(i -> i.entry().kind()).toList());
        assertEquals(List.of("shield", "vault", "shield", "clearance", "gate"),
                items.stream().map(i -> i.entry().kind().source()).toList());
        assertEquals("anthropic POST /v1/messages → 200 ok in 812 ms", items.get(1).entry().text());
        assertEquals("pushed refs/heads/fix 0000000000..a1b2c3d4e5 (create)", items.get(4).entry().text());
        assertTrue(all.of(OTHER).items().isEmpty(), "another task's timeline holds none of it");
    }

    @Test
    void linksBlockPromptVerdictAndFirstPacketThrough() {
        Timelines all = new Timelines();
        // an earlier block of the same destination, before the window that raised this prompt
        TimelineEvents.fromShield(blocked(0, "198.18.0.7", 443, false)).ifPresent(all::add);
        TimelineEvents.fromShield(blocked(31_000, "198.18.0.7", 443, false)).ifPresent(all::add);
        // another destination blocked in between: not part of the chain
        TimelineEvents.fromShield(blocked(31_010, "198.18.0.8", 443, false)).ifPresent(all::add);
        all.add(TimelineEvents.fromPrompt(prompt(31_020, "r1", "198.18.0.7", 443)));
        all.verdict(verdict("r1", Outcome.OUTCOME_ALLOWED), T0.plusMillis(33_000)).orElseThrow();
        TimelineEvents.fromShield(blocked(33_050, "198.18.0.7", 443, true)).ifPresent(all::add);

        TaskTimeline tl = all.of(TASK);
        List<TaskTimeline.Item> items = tl.items();
        TaskTimeline.Item passed = items.get(items.size() - 1);
        assertEquals(Kind.PASSED, passed.entry().kind());
        List<Kind> chain = tl.chain(passed.entry().id()).stream().map(TimelineEntry::kind).toList();
        assertEquals(List.of(Kind.BLOCKED, Kind.PROMPT, Kind.VERDICT, Kind.PASSED), chain);
        TimelineEntry firstOfChain = tl.chain(passed.entry().id()).get(0);
        assertEquals(T0.plusMillis(31_000), firstOfChain.time(), "the block that raised the prompt, not the earlier one");
        TaskTimeline.Item verdict = items.stream().filter(i -> i.entry().kind() == Kind.VERDICT).findFirst().orElseThrow();
        assertEquals("198.18.0.7:443/tcp", verdict.target(),
                "a verdict is about its prompt's connection");
        assertEquals("allowed by the operator", verdict.entry().text());
        assertEquals(List.of(passed.entry().id()), verdict.effectIds());
        TaskTimeline.Item other = items.stream().filter(i -> i.target().equals("198.18.0.8:443/tcp")).findFirst().orElseThrow();
        assertNull(other.causeId());
        assertTrue(other.effectIds().isEmpty());
    }

    @Test
    void aFirstPacketStampedBeforeTheVerdictArrivedIsStillItsEffectAndShownAfterIt() {
        // shield opens the port before clearance reports the verdict: the task's retry may be stamped first
        Timelines all = new Timelines();
        TimelineEvents.fromShield(blocked(0, "198.18.0.7", 443, false)).ifPresent(all::add);
        all.add(TimelineEvents.fromPrompt(prompt(10, "r1", "198.18.0.7", 443)));
        TimelineEvents.fromShield(blocked(2000, "198.18.0.7", 443, true)).ifPresent(all::add);
        all.verdict(verdict("r1", Outcome.OUTCOME_ALLOWED), T0.plusMillis(2005));
        List<Kind> shown = all.of(TASK).items().stream().map(i -> i.entry().kind()).toList();
        assertEquals(List.of(Kind.BLOCKED, Kind.PROMPT, Kind.VERDICT, Kind.PASSED), shown);
        TaskTimeline.Item last = all.of(TASK).items().get(3);
        assertTrue(last.causeId().startsWith("clearance:verdict:"), last.toString());
    }

    @Test
    void aDeniedVerdictHasNoFirstPacketAndOneAllowLinksOnlyOnePacket() {
        Timelines all = new Timelines();
        TimelineEvents.fromShield(blocked(0, "198.18.0.7", 443, false)).ifPresent(all::add);
        all.add(TimelineEvents.fromPrompt(prompt(10, "r1", "198.18.0.7", 443)));
        all.verdict(verdict("r1", Outcome.OUTCOME_DENIED), T0.plusMillis(500));
        // an operator's own `terok shield allow --port` later: its first packet has no verdict for a cause
        TimelineEvents.fromShield(blocked(60_000, "198.18.0.7", 443, true)).ifPresent(all::add);
        TaskTimeline.Item passed = all.of(TASK).items().get(3);
        assertEquals(Kind.PASSED, passed.entry().kind());
        assertNull(passed.causeId(), "a denial causes no packet through");

        Timelines two = new Timelines();
        two.add(TimelineEvents.fromPrompt(prompt(0, "r2", "198.18.0.9", 80)));
        two.verdict(verdict("r2", Outcome.OUTCOME_ALLOWED), T0.plusMillis(100));
        TimelineEvents.fromShield(blocked(200, "198.18.0.9", 80, true)).ifPresent(two::add);
        TimelineEvents.fromShield(blocked(5000, "198.18.0.9", 80, true)).ifPresent(two::add);
        List<TaskTimeline.Item> items = two.of(TASK).items();
        assertTrue(items.get(2).causeId() != null && items.get(3).causeId() == null,
                "shield logs one first packet per Allow: a second one is not the verdict's");
    }

    @Test
    void theSameShieldEventFromHistoryAndStreamIsShownOnce() {
        Timelines all = new Timelines();
        List<TimelineEntry> heard = new ArrayList<>();
        all.listen(heard::add);
        assertTrue(TimelineEvents.fromShield(blocked(1000, "198.18.0.7", 443, false)).map(all::add).orElseThrow());
        // the audit log's record of that same block, stamped a few ms later by shield's audit writer
        TimelineEntry fromAudit = TimelineEvents.fromShieldAudit(AuditRecord.newBuilder().setTaskId(TASK)
                .setTime(ProtoTime.of(T0.plusMillis(1003))).setAction("blocked").setDestination("198.18.0.7:443")
                .setDetail("tcp api.example.test").build());
        assertEquals(Kind.BLOCKED, fromAudit.kind());
        assertEquals("198.18.0.7:443/tcp", fromAudit.target());
        assertEquals("api.example.test", fromAudit.domain());
        assertFalse(all.add(fromAudit));
        assertFalse(TimelineEvents.fromShield(blocked(1000, "198.18.0.7", 443, false)).map(all::add).orElseThrow(),
                "the same id again");
        assertEquals(1, all.of(TASK).size());
        assertEquals(1, heard.size(), "listeners hear of new entries only");
        // the same destination blocked again after shield's window is a new entry
        assertTrue(TimelineEvents.fromShield(blocked(31_000, "198.18.0.7", 443, false)).map(all::add).orElseThrow());
    }

    @Test
    void aVerdictForAPromptTheConsoleNeverSawIsNotPlaced() {
        Timelines all = new Timelines();
        assertTrue(all.verdict(verdict("unknown", Outcome.OUTCOME_ALLOWED), T0).isEmpty());
        assertEquals(0, all.of(TASK).size());
    }

    @Test
    void shieldStateChangesOnTheStreamAreLeftToTheAuditLog() {
        BlockedConnection state = BlockedConnection.newBuilder().setTaskId(TASK).setTime(ProtoTime.of(T0))
                .setShieldState(io.terok.api.v1.ShieldState.SHIELD_STATE_DOWN).build();
        assertTrue(TimelineEvents.fromShield(state).isEmpty());
        TimelineEntry down = TimelineEvents.fromShieldAudit(AuditRecord.newBuilder().setTaskId(TASK).setTime(ProtoTime.of(T0))
                .setAction("shield_down").build());
        assertEquals("shield down", down.text());
        TimelineEntry portAllow = TimelineEvents.fromShieldAudit(AuditRecord.newBuilder().setTaskId(TASK)
                .setTime(ProtoTime.of(T0)).setAction("allowed").setDestination("[2001:db8::1]:443/tcp").setDetail("live").build());
        assertEquals(Kind.FIREWALL, portAllow.kind());
        assertEquals("allowed [2001:db8::1]:443/tcp (live)", portAllow.text());
    }

    @Test
    void textATaskControlsIsMadePrintableAndBounded() {
        BlockedConnection hostile = BlockedConnection.newBuilder().setTaskId(TASK).setDestinationIp("198.18.0.7")
                .setDestinationPort(443).setProtocol("tcp").setTime(ProtoTime.of(T0))
                .setDomain("<img src=x onerror=alert(1)>\u001b[2J\u202e.test\n" + "x".repeat(500)).build();
        TimelineEntry e = TimelineEvents.fromShield(hostile).orElseThrow();
        assertFalse(e.text().contains("\u001b") || e.text().contains("\u202e") || e.text().contains("\n"), e.text());
        assertTrue(e.domain().length() <= 201, "bounded");
        // markup stays as text here; the page escapes it (the browser test checks that no element is injected)
        assertTrue(e.text().contains("<img src=x onerror=alert(1)>"));
        Push push = Push.newBuilder().setTaskId(TASK).setTime(ProtoTime.of(T0)).addUpdates(RefUpdate.newBuilder()
                .setRef("refs/heads/\u001b]0;pwned\u0007").setOldId("a").setNewId("b")).build();
        assertFalse(TimelineEvents.fromPush(push).text().contains("\u001b"));
    }

    @Test
    void boundedAndOnlyItsOwnTask() {
        TaskTimeline tl = new TaskTimeline(TASK);
        for (int i = 0; i < TaskTimeline.MAX_ENTRIES + 10; i++) {
            tl.add(entry("e" + i, i, Kind.RELAYED, "r"));
        }
        assertEquals(TaskTimeline.MAX_ENTRIES, tl.size());
        assertTrue(tl.get("e0").isEmpty(), "the oldest went");
        assertThrows(IllegalArgumentException.class,
                () -> tl.add(new TimelineEntry("x", T0, OTHER, Kind.PUSH, "", "", "", "", "")));
    }
}
