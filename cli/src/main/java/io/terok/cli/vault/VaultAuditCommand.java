package io.terok.cli.vault;

import com.google.protobuf.Timestamp;
import io.grpc.StatusRuntimeException;
import io.terok.api.v1.AuditEntry;
import io.terok.api.v1.AuditRequest;
import io.terok.api.v1.VaultServiceGrpc.VaultServiceBlockingStub;
import io.terok.cli.core.CliException;
import io.terok.cli.core.Context;
import io.terok.cli.core.ServiceApi;
import io.terok.cli.core.ServiceClient;
import io.terok.cli.core.Verb;
import io.terok.common.Printable;
import io.terok.common.ProtoTime;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.Iterator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** `terok vault audit`: the broker's request log (never bodies or secrets), as a table or JSON lines; --follow streams. */
@Command(name = "audit", description = {"The token broker's audit: one line per proxied request (time, task, provider,",
    "method, path, status, outcome, duration). Never bodies, headers or secrets."})
public final class VaultAuditCommand extends Verb {
    private static final Pattern DURATION = Pattern.compile("(\\d+)([smhdw])");

    @Option(names = "--task", paramLabel = "TASK_ID", description = "Only this task's requests.")
    String task = "";
    @Option(names = "--since", paramLabel = "DURATION|TIME",
            description = "Only entries from this long ago (90s, 15m, 2h, 7d, 1w) or since this time (2026-11-25T10:00:00Z, "
                    + "2026-11-25T10:00 or 2026-11-25 in local time).")
    String since;
    @Option(names = "--json", description = "One JSON object per line, as in audit.jsonl.")
    boolean json;
    @Option(names = {"-f", "--follow"}, description = "Keep printing new entries as they happen (Ctrl-C stops).")
    boolean follow;

    /** The table shows a path whole (as audit.jsonl keeps it); only what a terminal would act on is replaced. */
    private static final int WHOLE_PATH = Integer.MAX_VALUE;
    private static final String ROW = "%-24s  %-20s  %-10s  %-6s  %6s  %-18s  %7s  %s";

    @Override
    public Integer call() {
        Context ctx = ctx();
        AuditRequest.Builder req = AuditRequest.newBuilder().setTaskId(task == null ? "" : task).setFollow(follow);
        if (since != null) {
            req.setSince(ProtoTime.of(parseSince(since, Instant.now(), ZoneId.systemDefault())));
        }
        try (ServiceClient<VaultServiceBlockingStub> cl = ServiceApi.VAULT.connect(ctx)) {
            VaultServiceBlockingStub s = follow ? cl.untimedStub() : cl.stub();
            return cl.call("cannot read the audit", () -> {
                Iterator<AuditEntry> it = s.audit(req.build());
                if (!json) {
                    ctx.out.println(String.format(ROW, "TIME", "TASK", "PROVIDER", "METHOD", "STATUS", "OUTCOME", "MS", "PATH").stripTrailing());
                }
                int n = 0;
                while (it.hasNext()) {
                    AuditEntry e = it.next();
                    ctx.out.println(json ? json(e) : row(e));
                    ctx.out.flush();
                    n++;
                }
                if (n == 0 && !json) {
                    ctx.err.println("no audit entries" + (task.isEmpty() ? "" : " for task " + task) + (since == null ? "" : " since " + since));
                }
                return 0;
            });
        } catch (CliException e) {
            if (e.getCause() instanceof StatusRuntimeException sre && sre.getStatus().getCode() == io.grpc.Status.Code.CANCELLED) {
                return 0;
            }
            throw e;
        }
    }

    /** One table line; the method and path are what a task sent, so their control characters are replaced, not printed. */
    static String row(AuditEntry e) {
        return String.format(ROW, time(e.getTime()), cut(e.getTaskId(), 20), e.getProvider(), Printable.line(e.getMethod()),
                e.getStatus(), outcome(e), e.getDurationMs(), Printable.line(e.getPath(), WHOLE_PATH)).stripTrailing();
    }

    /** A folded line (a flood's refusals) says how many requests it stands for. */
    static String outcome(AuditEntry e) {
        return e.getCount() > 1 ? e.getOutcome() + " x" + e.getCount() : e.getOutcome();
    }

    /** The same fields and names as a line of audit.jsonl. */
    static String json(AuditEntry e) {
        return "{\"time\":" + str(time(e.getTime())) + ",\"task\":" + str(e.getTaskId()) + ",\"token\":" + str(e.getTokenId())
                + ",\"provider\":" + str(e.getProvider()) + ",\"method\":" + str(e.getMethod()) + ",\"path\":" + str(e.getPath())
                + ",\"status\":" + e.getStatus() + ",\"outcome\":" + str(e.getOutcome()) + ",\"duration_ms\":" + e.getDurationMs()
                + (e.getCount() > 1 ? ",\"count\":" + e.getCount() : "") + "}";
    }

    private static String str(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }

    private static String time(Timestamp t) {
        return ProtoTime.toInstant(t).toString();
    }

    private static String cut(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max - 1) + "…";
    }

    /** A duration back from now (90s, 15m, 2h, 7d, 1w, or combined: 1h30m) or an absolute time. */
    static Instant parseSince(String text, Instant now, ZoneId zone) {
        String s = text.trim();
        if (s.matches("(\\d+[smhdw])+")) {
            Duration d = Duration.ZERO;
            Matcher m = DURATION.matcher(s);
            while (m.find()) {
                long n = Long.parseLong(m.group(1));
                d = d.plus(switch (m.group(2)) {
                    case "s" -> Duration.ofSeconds(n);
                    case "m" -> Duration.ofMinutes(n);
                    case "h" -> Duration.ofHours(n);
                    case "d" -> Duration.ofDays(n);
                    default -> Duration.ofDays(7 * n);
                });
            }
            return now.minus(d);
        }
        try {
            return Instant.parse(s);
        } catch (DateTimeParseException ignored) {
            // not an instant with a zone
        }
        try {
            return LocalDateTime.parse(s.replace(' ', 'T')).atZone(zone).toInstant();
        } catch (DateTimeParseException ignored) {
            // not a local date-time
        }
        try {
            return LocalDate.parse(s).atStartOfDay(zone).toInstant();
        } catch (DateTimeException ignored) {
            // reported below
        }
        throw CliException.badValue("--since", text,
                "give a duration (90s, 15m, 2h, 7d, 1w, 1h30m) or a time (2026-11-25T10:00:00Z, 2026-11-25T10:00, 2026-11-25)");
    }
}
