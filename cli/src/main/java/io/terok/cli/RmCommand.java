package io.terok.cli;

import io.terok.api.v1.RemoveRequest;
import io.terok.api.v1.RemoveResponse;
import java.time.Duration;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "rm", description = "Remove tasks and release what the services minted for them (tokens, firewall, ...).")
final class RmCommand extends Verb {
    @Option(names = {"-f", "--force"}, description = "Stop running tasks first instead of refusing.")
    boolean force;
    @Parameters(paramLabel = "TASK", arity = "1..*", description = "Task ids, id prefixes or names.")
    List<String> tasks;

    @Override
    public Integer call() {
        Context ctx = ctx();
        Duration deadline = force ? RuntimeClient.UNARY.plusSeconds(15) : RuntimeClient.UNARY;
        try (RuntimeClient rt = RuntimeClient.connect(ctx)) {
            return EachTask.run(ctx, tasks, task -> {
                RemoveResponse r = rt.call("cannot remove " + task, () -> rt.stub(deadline)
                        .remove(RemoveRequest.newBuilder().setTask(task).setForce(force).build()));
                r.getWarningsList().forEach(w -> ctx.err.println("warning: " + w));
                ctx.out.println(r.getId().isEmpty() ? task : r.getId());
            });
        }
    }
}
