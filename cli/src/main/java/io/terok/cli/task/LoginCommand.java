package io.terok.cli.task;

import io.terok.cli.core.CliException;
import io.terok.cli.core.Verb;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "login", description = {"Open a terminal in a running task; exits with its exit code. The form "
        + "goes by the number of arguments:",
    "  terok login TASK            a shell (bash when the image has it), or --command, in a runtime task;",
    "  terok login PROJECT TASK    the agent's interactive session in an agent task of PROJECT (`terok task list`), "
        + "with the task's agent configuration, workspace and broker.",
    "Raw mode: every key goes to the task; the window size is followed; the detach keys (default ctrl-p,ctrl-q) "
        + "leave it running. With stdin or stdout redirected it is a pipe instead, its output sanitised."})
public final class LoginCommand extends Verb {
    /** bash when the image has it (as a login shell), else sh. */
    static final List<String> SHELL = List.of("sh", "-c", "command -v bash >/dev/null 2>&1 && exec bash -l || exec sh -l");

    @Option(names = {"-c", "--command"}, paramLabel = "COMMAND", description = "Run this instead of a shell "
            + "(by sh -c in the task), e.g. --command 'python3 -i'.")
    String command;
    @Option(names = "--detach-keys", paramLabel = "KEYS", description = "Keys that detach, e.g. ctrl-p,ctrl-q (the "
            + "default; TEROK_DETACH_KEYS sets another), ctrl-a,d or \"\" for none.")
    String detachKeys;
    @Parameters(arity = "1..2", paramLabel = "[PROJECT] TASK", description = "TASK (id, id prefix or name) alone, or PROJECT and TASK.")
    List<String> args;

    @Override
    public Integer call() {
        if (command != null && command.isBlank()) {
            throw CliException.badValue("--command", command, "give the command to run, or leave --command out for a shell");
        }
        DetachKeys keys = DetachKeys.resolve(ctx().env, detachKeys);
        if (args.size() == 2) {
            if (command != null) {
                throw CliException.badValue("--command", command, "only with TASK alone; PROJECT TASK opens the agent's session");
            }
            return io.terok.cli.agenttask.TaskCommand.interactive(ctx(), args.get(0), args.get(1), keys);
        }
        String task = args.get(0);
        List<String> argv = command == null ? SHELL : List.of("sh", "-c", command);
        return TerminalSession.run(ctx(), TerminalSession.Target.command(task, argv), keys);
    }
}
