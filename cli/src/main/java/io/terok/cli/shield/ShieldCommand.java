package io.terok.cli.shield;

import static io.terok.cli.core.ServiceApi.SHIELD;

import io.terok.api.v1.AuditLogRequest;
import io.terok.api.v1.BlockedConnection;
import io.terok.api.v1.BlockedEventsRequest;
import io.terok.api.v1.DownRequest;
import io.terok.api.v1.ListProfilesRequest;
import io.terok.api.v1.PreviewRequest;
import io.terok.api.v1.ShieldServiceGrpc.ShieldServiceBlockingStub;
import io.terok.api.v1.ShieldStatus;
import io.terok.api.v1.ShieldTaskRef;
import io.terok.api.v1.TargetRequest;
import io.terok.cli.core.Context;
import io.terok.cli.core.Json;
import io.terok.cli.core.ServiceClient;
import io.terok.cli.core.Tasks;
import io.terok.cli.core.Verb;
import io.terok.common.Printable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** `terok shield ...`: a task's egress firewall, changed live. Tasks are named as everywhere else. */
@Command(name = "shield", description = "Change a task's egress firewall live (no restart).",
        subcommands = {ShieldCommand.Allow.class, ShieldCommand.Deny.class, ShieldCommand.Up.class, ShieldCommand.Down.class,
            ShieldCommand.Block.class, ShieldCommand.Status.class, ShieldCommand.Rules.class, ShieldCommand.Preview.class,
            ShieldCommand.Profiles.class, ShieldCommand.Logs.class, ShieldCommand.Events.class})
public final class ShieldCommand {

    static void printStatus(Context ctx, ShieldStatus s) {
        ctx.out.println("state:    " + s.getState().name().replace("SHIELD_STATE_", "").toLowerCase());
        ctx.out.println("allowed:  " + String.join(" ", s.getAllowedList()));
        ctx.out.println("denied:   " + String.join(" ", s.getDeniedList()));
        if (s.getRelayedCount() > 0) {
            ctx.out.println("relayed:  " + String.join(" ", s.getRelayedList()) + " (through the vault's broker only; never directly)");
        }
        ctx.out.println("profiles: " + String.join(" ", s.getProfilesList()));
        s.getNotesList().forEach(n -> ctx.out.println("note:     " + n));
        if (s.getFloodDropped() > 0) {
            ctx.out.println("flood:    " + s.getFloodDropped() + " connection attempts dropped by the flood limit (refused "
                    + "without an answer or a log line, never let through; see docs/shield.md)");
        }
    }

    abstract static class OnTask extends Verb {
        @Parameters(index = "0", paramLabel = "TASK", description = "Task id, id prefix or name.")
        String task;

        ShieldTaskRef ref() {
            return ShieldTaskRef.newBuilder().setTaskId(Tasks.resolve(ctx(), task)).build();
        }
    }

    abstract static class OnTarget extends OnTask {
        @Parameters(index = "1", paramLabel = "TARGET", description = "IPv4/IPv6 address, CIDR, or domain name.")
        String target;

        TargetRequest request() {
            return TargetRequest.newBuilder().setTaskId(Tasks.resolve(ctx(), task)).setTarget(target).build();
        }
    }

    @Command(name = "allow", description = {"Let the task reach TARGET (deny entries still win), or with --port only "
            + "that port of one address. The task's host loopback, link-local and metadata addresses are never opened "
            + "this way: --host-port PORT (no TARGET) opens one TCP port of the host's loopback to the task."})
    static final class Allow extends OnTask {
        @Parameters(index = "1", arity = "0..1", paramLabel = "TARGET", description = "IPv4/IPv6 address, CIDR, or domain name.")
        String target;

        @Option(names = "--port", paramLabel = "PORT", description = "Only this destination port of TARGET (a single address).")
        int port;

        @Option(names = "--protocol", paramLabel = "tcp|udp", description = "With --port (default tcp).")
        String protocol = "";

        @Option(names = "--host-port", paramLabel = "PORT",
                description = "Open this TCP port of the host's loopback (the task's 10.0.2.2 or 169.254.1.2) to the task.")
        int hostPort;

        @Override
        public Integer call() {
            TargetRequest.Builder r = TargetRequest.newBuilder().setTaskId(Tasks.resolve(ctx(), task));
            String what;
            if (hostPort != 0) {
                if (target != null || port != 0) {
                    throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--host-port takes no TARGET and no --port");
                }
                r.setHostPort(hostPort);
                what = "host loopback port " + hostPort;
                ctx().warn("task " + task + " can now reach port " + hostPort + " of this host's loopback (whatever listens there)");
            } else {
                if (target == null) {
                    throw new picocli.CommandLine.ParameterException(spec.commandLine(), "TARGET or --host-port is required");
                }
                r.setTarget(target).setPort(port).setProtocol(protocol);
                what = target + (port == 0 ? "" : " port " + port);
            }
            printStatus(ctx(), SHIELD.call(ctx(), "cannot allow " + what, s -> s.allow(r.build())));
            return 0;
        }
    }

    @Command(name = "deny", description = "Refuse TARGET for the task, even when a profile allows it.")
    static final class Deny extends OnTarget {
        @Override
        public Integer call() {
            printStatus(ctx(), SHIELD.call(ctx(), "cannot deny " + target, s -> s.deny(request())));
            return 0;
        }
    }

    @Command(name = "up", description = "Enforce the firewall again (after down or block).")
    static final class Up extends OnTask {
        @Override
        public Integer call() {
            printStatus(ctx(), SHIELD.call(ctx(), "cannot raise the shield", s -> s.up(ref())));
            return 0;
        }
    }

    @Command(name = "down", description = "Bypass the firewall with logging; private ranges stay closed unless --all.")
    static final class Down extends OnTask {
        @Option(names = "--all", description = "Open private and link-local ranges too.")
        boolean all;

        @Override
        public Integer call() {
            ctx().warn("task " + task + " now has unfiltered egress" + (all ? ", private ranges included" : "")
                    + "; `terok shield up " + task + "` restores the firewall");
            printStatus(ctx(), SHIELD.call(ctx(), "cannot lower the shield", s -> s.down(
                    DownRequest.newBuilder().setTaskId(ref().getTaskId()).setAll(all).build())));
            return 0;
        }
    }

    @Command(name = "block", description = "Quarantine: nothing in or out.")
    static final class Block extends OnTask {
        @Override
        public Integer call() {
            printStatus(ctx(), SHIELD.call(ctx(), "cannot block the task", s -> s.block(ref())));
            return 0;
        }
    }

    @Command(name = "status", description = "The task's firewall state, allow and deny lists.")
    static final class Status extends OnTask {
        @Override
        public Integer call() {
            printStatus(ctx(), SHIELD.call(ctx(), "cannot read the shield status",
                    s -> s.status(ref().toBuilder().setCounters(true).build())));
            return 0;
        }
    }

    @Command(name = "rules", description = "The nftables ruleset as loaded in the task's network namespace.")
    static final class Rules extends OnTask {
        @Override
        public Integer call() {
            ctx().out.print(SHIELD.call(ctx(), "cannot read the rules", s -> s.rules(ref())).getRuleset());
            return 0;
        }
    }

    @Command(name = "preview", description = "The ruleset a new task would get.")
    static final class Preview extends Verb {
        @Option(names = "--profile", description = "Shield profile (repeatable).")
        List<String> profiles = new ArrayList<>();
        @Option(names = "--down", description = "As after `terok shield down`.")
        boolean down;
        @Option(names = "--all", description = "With --down: private ranges open too.")
        boolean all;

        @Override
        public Integer call() {
            ctx().out.print(SHIELD.call(ctx(), "cannot preview the rules", s -> s.preview(
                    PreviewRequest.newBuilder().addAllProfiles(profiles).setDown(down).setAll(all).build())).getRuleset());
            return 0;
        }
    }

    @Command(name = "profiles", description = "Shipped and user profiles with their entries.")
    static final class Profiles extends Verb {
        @Override
        public Integer call() {
            SHIELD.call(ctx(), "cannot list profiles", s -> s.listProfiles(ListProfilesRequest.getDefaultInstance()))
                    .getProfilesList().forEach(p -> ctx().out.println(p.getName() + " (" + p.getOrigin() + "): "
                            + String.join(" ", p.getEntriesList())));
            return 0;
        }
    }

    @Command(name = "logs", description = "The task's shield audit log (what changed, when).")
    static final class Logs extends OnTask {
        @Option(names = {"-n", "--lines"}, description = "Last N records (default 50).")
        int lines = 50;

        @Override
        public Integer call() {
            SHIELD.call(ctx(), "cannot read the audit log", s -> s.auditLog(
                    AuditLogRequest.newBuilder().setTaskId(ref().getTaskId()).setLimit(lines).build()))
                    .getRecordsList().forEach(r -> ctx().out.println(Json.of(r).replaceAll("\\s*\\n\\s*", " ")));
            return 0;
        }
    }

    @Command(name = "events", description = "Follow blocked connections as they happen (all tasks, or one).")
    static final class Events extends Verb {
        @Parameters(arity = "0..1", paramLabel = "TASK")
        String task;

        @Override
        public Integer call() {
            String id = task == null ? "" : Tasks.resolve(ctx(), task);
            try (ServiceClient<ShieldServiceBlockingStub> cl = SHIELD.connect(ctx())) {
                cl.call("the blocked-connection stream failed", () -> {
                    Iterator<BlockedConnection> it = cl.untimedStub()
                            .blockedEvents(BlockedEventsRequest.newBuilder().setTaskId(id).build());
                    while (it.hasNext()) {
                        BlockedConnection b = it.next();
                        ctx().out.println(Printable.line(b.getTaskId()) + " -> " + Printable.line(b.getDestinationIp()) + ":"
                                + b.getDestinationPort() + "/" + Printable.line(b.getProtocol())
                                + (b.getDomain().isEmpty() ? "" : " (" + Printable.line(b.getDomain()) + ")")
                                + (b.getCount() > 1 ? " x" + b.getCount() : ""));
                        ctx().out.flush();
                    }
                    return null;
                });
            }
            return 0;
        }
    }
}
