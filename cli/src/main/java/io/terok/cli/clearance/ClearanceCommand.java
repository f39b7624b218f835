package io.terok.cli.clearance;

import static io.terok.cli.core.ServiceApi.CLEARANCE;

import io.grpc.Context.CancellableContext;
import io.terok.api.v1.ClearanceEvent;
import io.terok.api.v1.ClearanceEventsRequest;
import io.terok.api.v1.ClearanceRequest;
import io.terok.api.v1.ClearanceServiceGrpc.ClearanceServiceBlockingStub;
import io.terok.api.v1.Decision;
import io.terok.api.v1.ListPendingRequestsRequest;
import io.terok.api.v1.VerdictRequest;
import io.terok.api.v1.VerdictResponse;
import io.terok.cli.core.CliException;
import io.terok.cli.core.Context;
import io.terok.cli.core.GrpcErrors;
import io.terok.cli.core.ServiceClient;
import io.terok.cli.core.Verb;
import io.terok.common.Printable;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The operator's Allow/Deny in a terminal, for machines without a desktop: pending requests are listed as
 * they arrive, numbered, and answered with {@code a N} / {@code d N}. Subcommands do the same for scripts.
 */
@Command(name = "clearance", description = {"Allow or deny blocked connections from the terminal.",
    "Without a subcommand: watch requests as they arrive; type `a N` to allow, `d N` to deny, `q` to quit."},
        subcommands = {ClearanceCommand.ListVerb.class, ClearanceCommand.AllowVerb.class, ClearanceCommand.DenyVerb.class})
public final class ClearanceCommand extends Verb {
    @Option(names = "--task", description = "Only this task's requests (task id).")
    String task = "";

    @Override
    public Integer call() throws IOException {
        Context ctx = ctx();
        Map<Integer, ClearanceRequest> shown = new ConcurrentHashMap<>();
        AtomicInteger next = new AtomicInteger(1);
        try (ServiceClient<ClearanceServiceBlockingStub> cl = CLEARANCE.connect(ctx)) {
            CancellableContext watch = io.grpc.Context.current().withCancellation();
            Thread reader = new Thread(() -> watch.run(() -> {
                try {
                    Iterator<ClearanceEvent> events = cl.untimedStub().events(ClearanceEventsRequest.newBuilder().setTaskId(task).build());
                    while (events.hasNext()) {
                        ClearanceEvent e = events.next();
                        if (e.hasRequested()) {
                            ClearanceRequest r = e.getRequested();
                            Integer n = shown.entrySet().stream().filter(x -> x.getValue().getId().equals(r.getId()))
                                    .map(Map.Entry::getKey).findFirst().orElseGet(next::getAndIncrement);
                            shown.put(n, r);
                            ctx.out.printf("[%d] %s%n", n, describe(r));
                        } else if (e.hasResolved()) {
                            shown.entrySet().removeIf(x -> {
                                boolean match = x.getValue().getId().equals(e.getResolved().getRequestId());
                                if (match) {
                                    ctx.out.printf("[%d] %s%n", x.getKey(), outcome(e.getResolved()));
                                }
                                return match;
                            });
                        }
                        ctx.out.flush();
                    }
                } catch (io.grpc.StatusRuntimeException e) {
                    if (!watch.isCancelled()) {
                        ctx.err.println("terok: the clearance event stream ended: " + GrpcErrors.describe(e.getStatus()));
                    }
                }
            }), "terok-clearance-events");
            reader.setDaemon(true);
            reader.start();
            ctx.err.println("watching blocked connections; `a N` allows, `d N` denies, `q` quits");
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            for (String line; (line = in.readLine()) != null;) {
                String[] words = line.trim().split("\\s+");
                if (words[0].equals("q")) {
                    break;
                }
                if (words.length != 2 || !(words[0].equals("a") || words[0].equals("d")) || !words[1].matches("[0-9]{1,6}")) {
                    ctx.err.println("type `a N` to allow request N, `d N` to deny it, `q` to quit");
                    continue;
                }
                ClearanceRequest r = shown.get(Integer.parseInt(words[1]));
                if (r == null) {
                    ctx.err.println("no pending request [" + words[1] + "]");
                    continue;
                }
                try {
                    decide(cl, r, words[0].equals("a") ? Decision.DECISION_ALLOW : Decision.DECISION_DENY);
                } catch (CliException e) {
                    ctx.err.println("terok: " + e.getMessage());
                }
            }
            watch.cancel(null);
        }
        return 0;
    }

    static VerdictResponse decide(ServiceClient<ClearanceServiceBlockingStub> cl, ClearanceRequest r, Decision d) {
        return cl.call("cannot apply the verdict", c -> c.verdict(VerdictRequest.newBuilder().setRequestId(r.getId()).setTaskId(r.getTaskId())
                        .setDestinationIp(r.getDestinationIp()).setDestinationPort(r.getDestinationPort()).setDecision(d).build()));
    }

    /** One line per request; the text came from a container and was sanitised by clearance, and is again here. */
    static String describe(ClearanceRequest r) {
        String who = r.getTaskName().isEmpty() ? r.getTaskId() : r.getTaskName();
        return Printable.line(who) + " -> " + Printable.line(r.getDestinationIp()) + ":" + r.getDestinationPort() + "/" + Printable.line(r.getProtocol())
                + (r.getDomain().isEmpty() ? "" : " (" + Printable.line(r.getDomain()) + ")")
                + (r.getCount() > 1 ? " x" + r.getCount() : "") + "  [request " + r.getId() + "]";
    }

    static String outcome(VerdictResponse v) {
        return v.getOutcome().name().replace("OUTCOME_", "").toLowerCase() + ": " + Printable.line(v.getDetail());
    }

    @Command(name = "list", description = "Print pending requests, one per line.")
    static final class ListVerb extends Verb {
        @Option(names = "--task", description = "Only this task's requests (task id).")
        String task = "";

        @Override
        public Integer call() {
            CLEARANCE.call(ctx(), "cannot list pending requests",
                    c -> c.listPending(ListPendingRequestsRequest.newBuilder().setTaskId(task).build()))
                    .getRequestsList().forEach(r -> ctx().out.println(describe(r)));
            return 0;
        }
    }

    abstract static class DecideVerb extends Verb {
        @Parameters(paramLabel = "REQUEST", description = "Request id, as `terok clearance list` prints it.")
        String request;

        abstract Decision decision();

        @Override
        public Integer call() {
            try (ServiceClient<ClearanceServiceBlockingStub> cl = CLEARANCE.connect(ctx())) {
                ClearanceRequest r = cl.call("cannot list pending requests",
                        c -> c.listPending(ListPendingRequestsRequest.getDefaultInstance()))
                        .getRequestsList().stream().filter(x -> x.getId().equals(request)).findFirst()
                        .orElseThrow(() -> new CliException("no pending request " + request, "`terok clearance list` shows them"));
                VerdictResponse v = decide(cl, r, decision());
                ctx().out.println(outcome(v));
                return v.getOutcome() == io.terok.api.v1.Outcome.OUTCOME_FAILED ? 1 : 0;
            }
        }
    }

    @Command(name = "allow", description = "Allow the destination of a pending request.")
    static final class AllowVerb extends DecideVerb {
        @Override
        Decision decision() {
            return Decision.DECISION_ALLOW;
        }
    }

    @Command(name = "deny", description = "Deny the destination of a pending request.")
    static final class DenyVerb extends DecideVerb {
        @Override
        Decision decision() {
            return Decision.DECISION_DENY;
        }
    }
}
