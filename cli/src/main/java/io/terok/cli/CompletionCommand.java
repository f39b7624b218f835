package io.terok.cli;

import io.terok.cli.core.Verb;
import picocli.AutoComplete;
import picocli.CommandLine.Command;

@Command(name = "completion", description = {"Print a bash completion script.",
    "Use: source <(terok completion), or save it as ~/.local/share/bash-completion/completions/terok."})
final class CompletionCommand extends Verb {
    @Override
    public Integer call() {
        ctx().out.print(AutoComplete.bash("terok", spec.root().commandLine()));
        return 0;
    }
}
