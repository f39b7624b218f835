package io.terok.cli.task;

import io.terok.api.v1.RemoveRequest;
import io.terok.api.v1.RemoveResponse;
import io.terok.api.v1.RuntimeServiceGrpc.RuntimeServiceBlockingStub;
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

@Command(name = "rm", description = "Remove tasks and release what the services minted for them (tokens, firewall, ...).")
public final class RmCommand extends Verb {
    @Option(names = {"-f", "--force"}, description = "Stop running tasks first instead of refusing.")
    boolean force;
    @Parameters(paramLabel = "TASK", arity = "1..*", description = "Task ids, id prefixes or names.")
    List<String> tasks;

    @Override
    public Integer call() {
        Context ctx = ctx();
        Duration deadline = force ? ServiceApi.RUNTIME.deadline().plusSeconds(15) : ServiceApi.RUNTIME.deadline();
        try (ServiceClient<RuntimeServiceBlockingStub> rt = ServiceApi.RUNTIME.connect(ctx)) {
            return EachTask.run(ctx, tasks, task -> {
                RemoveResponse r = rt.call("cannot remove " + task, deadline,
                        stub -> stub.remove(RemoveRequest.newBuilder().setTask(task).setForce(force).build()));
                r.getWarningsList().forEach(w -> ctx.err.println("warning: " + w));
                ctx.out.println(r.getId().isEmpty() ? task : r.getId());
            });
        }
    }
}
