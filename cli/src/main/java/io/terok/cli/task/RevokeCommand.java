package io.terok.cli.task;

import io.terok.api.v1.RevokeCredentialsResponse;
import io.terok.api.v1.RuntimeServiceGrpc.RuntimeServiceBlockingStub;
import io.terok.api.v1.TaskRef;
import io.terok.cli.core.CliException;
import io.terok.cli.core.Context;
import io.terok.cli.core.EachTask;
import io.terok.cli.core.ServiceApi;
import io.terok.cli.core.ServiceClient;
import io.terok.cli.core.Verb;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "revoke", description = {"Take back a task's credentials (phantom tokens, SSH agent, gate token) and leave it",
    "running, to watch what it does without them. `terok rm` releases the rest later."})
public final class RevokeCommand extends Verb {
    @Parameters(paramLabel = "TASK", arity = "1..*", description = "Task ids, id prefixes or names.")
    List<String> tasks;

    @Override
    public Integer call() {
        Context ctx = ctx();
        try (ServiceClient<RuntimeServiceBlockingStub> rt = ServiceApi.RUNTIME.connect(ctx)) {
            return EachTask.run(ctx, tasks, task -> {
                RevokeCredentialsResponse r = rt.call("cannot revoke the credentials of " + task,
                        stub -> stub.revokeCredentials(TaskRef.newBuilder().setTask(task).build()));
                ctx.out.println(task + ": " + (r.getRevokedCount() == 0 ? "had no credentials"
                        : "revoked " + String.join(", ", r.getRevokedList())) + "; the task keeps running");
                if (r.getFailuresCount() > 0) {
                    throw new CliException(task + ": " + String.join("; ", r.getFailuresList()),
                            "`terok services status` shows which service is down");
                }
            });
        }
    }
}
