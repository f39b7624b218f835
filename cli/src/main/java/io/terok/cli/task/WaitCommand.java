package io.terok.cli.task;

import io.terok.api.v1.RuntimeServiceGrpc.RuntimeServiceBlockingStub;
import io.terok.api.v1.WaitRequest;
import io.terok.cli.core.CliException;
import io.terok.cli.core.Context;
import io.terok.cli.core.ServiceApi;
import io.terok.cli.core.ServiceClient;
import io.terok.cli.core.Verb;
import java.time.Duration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "wait", description = "Wait for a task to exit and print its exit code.")
public final class WaitCommand extends Verb {
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
        Duration deadline = timeout > 0 ? ServiceApi.RUNTIME.deadline().plusSeconds(timeout) : Deadlines.FOLLOW;
        try (ServiceClient<RuntimeServiceBlockingStub> rt = ServiceApi.RUNTIME.connect(ctx)) {
            int code = rt.call("cannot wait for " + task, deadline,
                    stub -> stub.wait(WaitRequest.newBuilder().setTask(task).setTimeoutSeconds(timeout).build())).getExitCode();
            ctx.out.println(code);
        }
        return 0;
    }
}
