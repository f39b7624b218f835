package io.terok.cli;

import io.terok.api.v1.WaitRequest;
import java.time.Duration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "wait", description = "Wait for a task to exit and print its exit code.")
final class WaitCommand extends Verb {
    @Option(names = "--timeout", paramLabel = "SECONDS", description = "Give up after this long (default: no limit).")
    int timeout;
    @Parameters(paramLabel = "TASK", description = "Task id, id prefix or name.")
    String task;

    @Override
    public Integer call() {
        Context ctx = ctx();
        if (timeout < 0) {
            throw CliException.badValue("--timeout", String.valueOf(timeout), "expected seconds, 0 for no limit");
        }
        Duration deadline = timeout > 0 ? RuntimeClient.UNARY.plusSeconds(timeout) : RuntimeClient.FOLLOW;
        try (RuntimeClient rt = RuntimeClient.connect(ctx)) {
            int code = rt.call("cannot wait for " + task, () -> rt.stub(deadline)
                    .wait(WaitRequest.newBuilder().setTask(task).setTimeoutSeconds(timeout).build())).getExitCode();
            ctx.out.println(code);
        }
        return 0;
    }
}
