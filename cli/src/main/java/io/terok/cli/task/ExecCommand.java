package io.terok.cli.task;

import io.terok.api.v1.ExecRequest;
import io.terok.api.v1.ExecResponse;
import io.terok.api.v1.RuntimeServiceGrpc.RuntimeServiceBlockingStub;
import io.terok.cli.core.CliException;
import io.terok.cli.core.Context;
import io.terok.cli.core.ServiceApi;
import io.terok.cli.core.ServiceClient;
import io.terok.cli.core.Verb;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "exec", description = {"Run a command in a running task; prints its output and exits with its code.",
    "Everything after TASK is the command, passed on untouched."})
public final class ExecCommand extends Verb {
    @Option(names = {"-e", "--env"}, paramLabel = "KEY[=VALUE]", description = "Environment variable (repeatable).")
    List<String> env = new ArrayList<>();
    @Option(names = {"-w", "--workdir"}, description = "Working directory inside the container.")
    String workdir;
    @Option(names = "--timeout", paramLabel = "SECONDS", description = "Stop waiting after this many seconds (default 60); the command itself keeps running.")
    int timeout;
    @Parameters(index = "0", paramLabel = "TASK", description = "Task id, id prefix or name.")
    String task;
    @Parameters(index = "1..*", arity = "1..*", paramLabel = "COMMAND")
    List<String> command = new ArrayList<>();

    @Override
    public Integer call() {
        Context ctx = ctx();
        if (timeout < 0) {
            throw CliException.badValue("--timeout", String.valueOf(timeout), "expected seconds, 0 for the default");
        }
        ExecRequest.Builder request = ExecRequest.newBuilder().setTask(task).addAllCommand(command)
                .putAllEnv(RunSpecMapper.env("--env", env, ctx.env)).setTimeoutSeconds(timeout);
        if (workdir != null) {
            request.setWorkdir(workdir);
        }
        try (ServiceClient<RuntimeServiceBlockingStub> rt = ServiceApi.RUNTIME.connect(ctx)) {
            Duration deadline = ServiceApi.RUNTIME.deadline().plusSeconds(timeout == 0 ? 60 : timeout);
            ExecResponse r = rt.call("cannot exec in " + task, deadline, stub -> stub.exec(request.build()));
            // The task's bytes: escape sequences are shown, never acted on (exec has no TTY session).
            TaskOutput.show(ctx.out, r.getStdout().toByteArray());
            TaskOutput.show(ctx.err, r.getStderr().toByteArray());
            return r.getExitCode();
        }
    }
}
