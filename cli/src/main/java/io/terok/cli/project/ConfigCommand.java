package io.terok.cli.project;

import io.terok.cli.core.Context;
import io.terok.cli.core.Verb;
import io.terok.common.ServiceName;
import io.terok.common.TerokPaths;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Command;

/** {@code terok config paths}: where terok keeps everything, and what decided each place. */
@Command(name = "config", description = "terok's configuration.", subcommands = ConfigCommand.Paths.class)
public final class ConfigCommand {
    @Command(name = "paths", description = "Every resolved path and the setting it comes from (TEROK_* variable, XDG variable, or the default).")
    static final class Paths extends Verb {
        @Override
        public Integer call() {
            Context ctx = ctx();
            TerokPaths p = ctx.paths;
            row("runtime dir", p.runtimeDir(), source("TEROK_RUNTIME_DIR", p.root() ? null : "XDG_RUNTIME_DIR"));
            row("config dir", p.configDir(), source("TEROK_CONFIG_DIR", p.root() ? null : "XDG_CONFIG_HOME"));
            row("data dir", p.dataDir(), source("TEROK_DATA_DIR", p.root() ? null : "XDG_DATA_HOME"));
            row("state dir", p.stateDir(), source("TEROK_STATE_DIR", p.root() ? null : "XDG_STATE_HOME"));
            row("config file", p.configFile(), "config dir");
            row("projects", p.configDir().resolve("projects"), "config dir");
            row("agent definitions", p.configDir().resolve("agents"), "config dir");
            row("task records", p.dataDir().resolve("runtime").resolve("tasks"), "data dir");
            row("agent task records", p.dataDir().resolve("runtime").resolve("agent-tasks"), "data dir");
            row("image stage", p.dataDir().resolve("images").resolve("stage"), "data dir (runtime's terok.projects.stage-dir overrides)");
            row("gate mirrors", p.dataDir().resolve("gate"), "data dir");
            row("vault database", p.dataDir().resolve("vault").resolve("credentials.db"), "data dir");
            row("logs", p.stateDir().resolve("logs"), "state dir");
            for (ServiceName s : ServiceName.values()) {
                row(s.id() + " socket", p.socket(s), "runtime dir");
            }
            return 0;
        }

        private String source(String terokVar, String xdgVar) {
            Context ctx = ctx();
            if (set(ctx, terokVar)) {
                return "$" + terokVar;
            }
            if (ctx.paths.root()) {
                return "default for root";
            }
            return xdgVar != null && set(ctx, xdgVar) ? "$" + xdgVar : "default (XDG)";
        }

        private static boolean set(Context ctx, String var) {
            String v = ctx.env.get(var);
            return v != null && !v.isBlank();
        }

        private void row(String what, Path path, String source) {
            ctx().out.printf("%-20s %-60s %s%s%n", what, path, source, Files.exists(path) ? "" : "  (absent)");
        }
    }
}
