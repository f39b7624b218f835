package io.terok.console.timeline;

import io.terok.api.v1.AuditEntry;
import io.terok.api.v1.AuditRecord;
import io.terok.api.v1.BlockedConnection;
import io.terok.api.v1.ClearanceRequest;
import io.terok.api.v1.Push;
import io.terok.api.v1.RefUpdate;
import io.terok.api.v1.VerdictResponse;
import io.terok.common.Printable;
import io.terok.common.ProtoTime;
import io.terok.console.timeline.TimelineEntry.Kind;
import java.time.Instant;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The services' events (their proto messages) as timeline entries. Everything a task can influence (domains, paths,
 * ref names) goes through {@link Printable} here; the page escapes it again as markup.
 */
public final class TimelineEvents {
    /** Shield's audit destinations: {@code 198.51.100.7:443}, {@code 198.51.100.7:443/tcp}, {@code [2001:db8::1]:443/tcp}. */
    private static final Pattern AUDIT_TARGET = Pattern.compile("^(\\[[0-9a-fA-F:.]+]|[0-9.]+):(\\d{1,5})(?:/(tcp|udp))?$");

    private TimelineEvents() {
    }

    /** {@code ADDRESS:PORT/PROTOCOL}, the key that links a block, its prompt, the verdict and the first packet. */
    public static String target(String ip, int port, String protocol) {
        String p = protocol == null || protocol.isEmpty() ? "tcp" : protocol.toLowerCase();
        String a = ip.contains(":") ? "[" + ip + "]" : ip;
        return Printable.line(a + ":" + port + "/" + p, 80);
    }

    /** A blocked connection or (with {@code passed}) the first packet through, from shield's live stream. */
    public static Optional<TimelineEntry> fromShield(BlockedConnection c) {
        if (c.getDestinationIp().isEmpty()) {
            return Optional.empty();   // a shield state change: its audit record says it with the action's name
        }
        Instant t = ProtoTime.toInstant(c.getTime());
        String target = target(c.getDestinationIp(), c.getDestinationPort(), c.getProtocol());
        String domain = Printable.line(c.getDomain());
        Kind kind = c.getPassed() ? Kind.PASSED : Kind.BLOCKED;
        String text = c.getPassed()
                ? "first connection through to " + shown(target, domain)
                : "blocked " + shown(target, domain) + (c.getCount() > 1 ? " (" + c.getCount() + " times)" : "");
        return Optional.of(new TimelineEntry("shield:" + kind + ":" + t.toEpochMilli() + ":" + target, t, c.getTaskId(),
                kind, target, domain, "", "", text));
    }

    /** A record of shield's audit log (history): blocked and passed are linkable; the rest are firewall changes. */
    public static TimelineEntry fromShieldAudit(AuditRecord r) {
        Instant t = ProtoTime.toInstant(r.getTime());
        String action = Printable.line(r.getAction(), 40);
        String destination = Printable.line(r.getDestination());
        String detail = Printable.line(r.getDetail());
        Kind kind = switch (r.getAction()) {
            case "blocked" -> Kind.BLOCKED;
            case "passed" -> Kind.PASSED;
            default -> Kind.FIREWALL;
        };
        String target = "";
        String domain = "";
        Matcher m = AUDIT_TARGET.matcher(r.getDestination());
        if (m.matches()) {
            String ip = m.group(1).startsWith("[") ? m.group(1).substring(1, m.group(1).length() - 1) : m.group(1);
            // blocked/passed carry "PROTOCOL [DOMAIN]" in the detail; an allow with a port names it in the destination
            String[] d = r.getDetail().split(" ", 2);
            String proto = m.group(3) != null ? m.group(3) : d[0].matches("tcp|udp") ? d[0] : "tcp";
            target = target(ip, Integer.parseInt(m.group(2)), proto);
            if (kind != Kind.FIREWALL && d.length == 2) {
                domain = Printable.line(d[1]);
            }
        }
        String text = switch (kind) {
            case BLOCKED -> "blocked " + shown(target.isEmpty() ? destination : target, domain);
            case PASSED -> "first connection through to " + shown(target.isEmpty() ? destination : target, domain);
            default -> action.replace('_', ' ') + (destination.isEmpty() ? "" : " " + destination)
                    + (detail.isEmpty() ? "" : " (" + detail + ")");
        };
        return new TimelineEntry("shield:" + kind + ":" + t.toEpochMilli() + ":" + (target.isEmpty() ? destination : target),
                t, r.getTaskId(), kind, kind == Kind.FIREWALL ? "" : target, domain, "", "", text);
    }

    /** A prompt clearance raised. */
    public static TimelineEntry fromPrompt(ClearanceRequest r) {
        String target = target(r.getDestinationIp(), r.getDestinationPort(), r.getProtocol());
        String domain = Printable.line(r.getDomain());
        return new TimelineEntry("clearance:prompt:" + Printable.line(r.getId(), 80), ProtoTime.toInstant(r.getFirstSeen()),
                r.getTaskId(), Kind.PROMPT, target, domain, Printable.line(r.getId(), 80), "",
                "asked the operator about " + shown(target, domain));
    }

    /**
     * A verdict: clearance's resolved event names only its request, so the caller knows the task (from the prompt)
     * and stamps the time it received it.
     */
    public static TimelineEntry fromVerdict(String taskId, VerdictResponse v, Instant received) {
        String outcome = switch (v.getOutcome()) {
            case OUTCOME_ALLOWED -> "ALLOWED";
            case OUTCOME_DENIED -> "DENIED";
            case OUTCOME_FAILED -> "FAILED";
            case OUTCOME_DROPPED -> "DROPPED";
            default -> "UNKNOWN";
        };
        String detail = Printable.line(v.getDetail());
        String id = Printable.line(v.getRequestId(), 80);
        String text = switch (outcome) {
            case "ALLOWED" -> "allowed by the operator";
            case "DENIED" -> "denied by the operator";
            case "DROPPED" -> "dropped (the task stopped or its shield went down)";
            case "FAILED" -> "the verdict failed";
            default -> "resolved";
        } + (detail.isEmpty() ? "" : ": " + detail);
        return new TimelineEntry("clearance:verdict:" + id, received, taskId, Kind.VERDICT, "", "", id, outcome, text);
    }

    /** A request the vault's broker relayed for the task. */
    public static TimelineEntry fromVault(AuditEntry a) {
        Instant t = ProtoTime.toInstant(a.getTime());
        String provider = Printable.line(a.getProvider(), 60);
        String text = provider + " " + Printable.line(a.getMethod(), 16) + " " + Printable.line(a.getPath(), 120)
                + " → " + a.getStatus() + " " + Printable.line(a.getOutcome(), 40) + " in " + a.getDurationMs() + " ms";
        return new TimelineEntry("vault:" + t.toEpochMilli() + ":" + Printable.line(a.getTokenId(), 40) + ":" + text.hashCode(),
                t, a.getTaskId(), Kind.RELAYED, "", provider, "", Printable.line(a.getOutcome(), 40), text);
    }

    /** A push the gate received from the task. */
    public static TimelineEntry fromPush(Push p) {
        Instant t = ProtoTime.toInstant(p.getTime());
        String refs = p.getUpdatesList().stream().map(TimelineEvents::update).collect(Collectors.joining(", "));
        return new TimelineEntry("gate:" + t.toEpochMilli() + ":" + refs.hashCode(), t, p.getTaskId(), Kind.PUSH, "", "",
                "", "", Printable.line("pushed " + refs, 400));
    }

    private static String update(RefUpdate u) {
        String ref = Printable.line(u.getRef(), 120);
        return ref + " " + abbrev(u.getOldId()) + ".." + abbrev(u.getNewId())
                + (u.getKind().isEmpty() ? "" : " (" + Printable.line(u.getKind(), 20) + ")");
    }

    private static String abbrev(String id) {
        String s = Printable.line(id, 64);
        return s.length() > 10 ? s.substring(0, 10) : s;
    }

    private static String shown(String target, String domain) {
        return domain.isEmpty() ? target : domain + " (" + target + ")";
    }
}
