package io.terok.cli.task;

import io.terok.api.v1.RuntimeServiceGrpc.RuntimeServiceBlockingStub;
import io.terok.api.v1.StopRequest;
import io.terok.api.v1.Task;
import io.terok.api.v1.TaskRef;
import io.terok.cli.core.CliException;
import io.terok.cli.core.Context;
import io.terok.cli.core.EachTask;
import io.terok.cli.core.ServiceApi;
import io.terok.cli.core.ServiceClient;
import io.terok.cli.core.Verb;
import java.time.Duration;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code terok start} and {@code terok restart}: a stopped task comes back with the wiring it was launched with (its
 * firewall, phantom tokens, gate token, SSH agent, clearance registration); revoked credentials stay revoked.
 */
public final class StartCommand {
    private StartCommand() {
    }

    /** Checking four services and starting the container: more than one plain call. */
    private static final Duration START = Duration.ofSeconds(60);

    static void report(Context ctx, String ref, Task t) {
        ctx.out.println(ref + (t.getWiring().getCredentialsRevoked() ? " (its credentials stay revoked)" : ""));
    }

    @Command(name = "start", description = "Start stopped tasks again, with the firewall, tokens, gate token, SSH agent "
            + "and clearance registration they were launched with.")
    public static final class Start extends Verb {
        @Parameters(paramLabel = "TASK", arity = "1..*", description = "Task ids, id prefixes or names.")
        List<String> tasks;

        @Override
        public Integer call() {
            Context ctx = ctx();
            try (ServiceClient<RuntimeServiceBlockingStub> rt = ServiceApi.RUNTIME.connect(ctx)) {
                return EachTask.run(ctx, tasks, task -> report(ctx, task,
                        rt.call("cannot start " + task, START, stub -> stub.start(TaskRef.newBuilder().setTask(task).build()))));
            }
        }
    }

    @Command(name = "restart", description = "Stop tasks (when running) and start them again with the same wiring.")
    public static final class Restart extends Verb {
        @Option(names = {"-t", "--time"}, paramLabel = "SECONDS", description = "Grace period before SIGKILL (default 10).")
        Integer seconds;
        @Parameters(paramLabel = "TASK", arity = "1..*", description = "Task ids, id prefixes or names.")
        List<String> tasks;

        @Override
        public Integer call() {
            Context ctx = ctx();
            if (seconds != null && seconds < 1) {
                throw CliException.badValue("--time", String.valueOf(seconds), "at least 1 second; 0 is not expressible");
            }
            int grace = seconds == null ? 10 : seconds;
            try (ServiceClient<RuntimeServiceBlockingStub> rt = ServiceApi.RUNTIME.connect(ctx)) {
                return EachTask.run(ctx, tasks, task -> report(ctx, task, rt.call("cannot restart " + task,
                        START.plusSeconds(grace), stub -> stub.restart(StopRequest.newBuilder().setTask(task)
                                .setGraceSeconds(grace).build()))));
            }
        }
    }
}
