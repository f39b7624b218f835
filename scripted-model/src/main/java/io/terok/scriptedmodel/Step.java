package io.terok.scriptedmodel;

import java.util.Objects;

/** One scripted answer to one "main" model request (a request that offers tools and is not an auxiliary call). */
public sealed interface Step permits Step.Shell, Step.Text, Step.Hang {

    /** Answer with a call of the request's shell-like tool (Claude Code's {@code Bash}, Gemini's {@code run_shell_command}, ...). */
    static Step shell(String command) {
        return new Shell(command);
    }

    /** Answer with this final text and end the turn. */
    static Step text(String answer) {
        return new Text(answer);
    }

    /** Accept the request and never answer (until the server closes): for an agent's timeout handling. */
    static Step hang() {
        return new Hang();
    }

    record Shell(String command) implements Step {
        public Shell {
            Objects.requireNonNull(command, "command");
            if (command.isBlank()) {
                throw new IllegalArgumentException("a shell step needs a command; it was blank");
            }
        }
    }

    record Text(String answer) implements Step {
        public Text {
            Objects.requireNonNull(answer, "answer");
        }
    }

    record Hang() implements Step {
    }
}
