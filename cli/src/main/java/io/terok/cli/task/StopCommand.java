package io.terok.cli.task;

import io.terok.api.v1.RuntimeServiceGrpc.RuntimeServiceBlockingStub;
import io.terok.api.v1.StopRequest;
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

@Command(name = "stop", description = "Stop tasks: SIGTERM, then SIGKILL after the grace period.")
public final class StopCommand extends Verb {
    @Option(names = {"-t", "--time"}, paramLabel = "SECONDS", description = "Grace period before SIGKILL (default 10).")
    Integer seconds;
    @Parameters(paramLabel = "TASK", arity = "1..*", description = "Task ids, id prefixes or names.")
    List<String> tasks;

    @Override
    public Integer call() {
        Context ctx = ctx();
        if (seconds != null && seconds < 1) {
            // The API reads 0 as "the default" (10 s); saying so beats killing later than asked.
            throw CliException.badValue("--time", String.valueOf(seconds), "at least 1 second; 0 is not expressible");
        }
        int grace = seconds == null ? 10 : seconds;
        Duration deadline = ServiceApi.RUNTIME.deadline().plusSeconds(grace);
        try (ServiceClient<RuntimeServiceBlockingStub> rt = ServiceApi.RUNTIME.connect(ctx)) {
            return EachTask.run(ctx, tasks, task -> {
                rt.call("cannot stop " + task, deadline,
                        stub -> stub.stop(StopRequest.newBuilder().setTask(task).setGraceSeconds(grace).build()));
                ctx.out.println(task);
            });
        }
    }
}
