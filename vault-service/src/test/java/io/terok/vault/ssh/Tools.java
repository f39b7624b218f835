package io.terok.vault.ssh;

import io.terok.testsupport.Cmd;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** The real OpenSSH tools the SSH tests drive. A missing tool fails the test (bin/prepare-host installs them). */
public final class Tools {
    private Tools() {
    }

    public record Result(int code, String out, String err) {
        public Result ok() {
            if (code != 0) {
                throw new AssertionError("exit " + code + "\nstdout: " + out + "\nstderr: " + err);
            }
            return this;
        }
    }

    public static void require(String tool) {
        Cmd.require(List.of(tool));
    }

    public static Result run(List<String> cmd, Map<String, String> env, Path dir) {
        // Never the agent of whoever runs the tests: only the one under test.
        Cmd.Output o = Cmd.exec(cmd, dir, e -> {
            e.remove("SSH_AUTH_SOCK");
            e.putAll(env);
        }, null, 120);
        return new Result(o.code(), o.out(), o.err());
    }
}
