package io.terok.cli.spare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.terok.cli.TerokCommand;
import io.terok.cli.core.Context;
import java.io.OutputStream;
import java.io.PrintStream;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SpareRuleTest {
    static String why(String... args) {
        PrintStream sink = new PrintStream(OutputStream.nullOutputStream());
        return SpareRule.whyNotServed(TerokCommand.commandLine(new Context(sink, sink, Map.of())), args);
    }

    @Test
    void theHotVerbsAreServed() {
        assertNull(why("run", "--rm", "img", "true"));
        assertNull(why("run", "--rm", "img", "sh", "-t")); // the container's -t, not run's
        assertNull(why("ps", "-a"));
        assertNull(why("inspect", "t"));
        assertNull(why("logs", "t"));
        assertNull(why("task", "run", "demo", "Say hello."));
        assertNull(why("--debug", "ps"));
    }

    @Test
    void whatNeedsTheTerminalOrIsNotOnTheListStartsCold() {
        assertNotNull(why("run", "-t", "img", "sh"));
        assertNotNull(why("run", "--tty", "img", "sh"));
        assertNotNull(why("task", "run", "demo"));
        assertNotNull(why("task", "run", "demo", ""));
        assertNotNull(why("login", "demo", "t"));
        assertNotNull(why("attach", "t"));
        assertNotNull(why("exec", "t", "true"));
        assertNotNull(why("vault", "add", "anthropic"));
        assertNotNull(why("project", "init", "p"));
        assertNotNull(why("services", "up"));
        assertNotNull(why("cli-spare", "stop"));
        assertNotNull(why("console"));
    }

    @Test
    void helpVersionAndUsageErrorsStartCold() {
        assertNotNull(why("--help"));
        assertNotNull(why("--version"));
        assertNotNull(why("ps", "--help"));
        assertNotNull(why("ps", "--no-such-option"));
        assertNotNull(why());
    }

    @Test
    void theContextMustBeTheSparesOwnButForVolatileVariables() {
        Map<String, String> own = new HashMap<>(Map.of("HOME", "/root", "TEROK_RUNTIME_DIR", "/r", "SHLVL", "1", "_", "/bin/x"));
        List<String> cmd = List.of("java", "-jar", "cli.jar", "cli-spare", "serve");
        Map<String, String> client = new HashMap<>(own);
        client.put("SHLVL", "3");
        client.put("_", "/usr/bin/env");
        client.put("OLDPWD", "/tmp");
        client.put("TEROK_SPARE_PREDECESSOR", "12");
        assertNull(SpareRule.whyOtherContext(new SpareRequest(List.of("ps"), "/w", client, cmd), "/w", own, cmd));

        assertEquals("another working directory",
                SpareRule.whyOtherContext(new SpareRequest(List.of("ps"), "/elsewhere", client, cmd), "/w", own, cmd));
        Map<String, String> changed = new HashMap<>(client);
        changed.put("TEROK_RUNTIME_DIR", "/other");
        assertTrue(SpareRule.whyOtherContext(new SpareRequest(List.of("ps"), "/w", changed, cmd), "/w", own, cmd)
                .contains("TEROK_RUNTIME_DIR"));
        Map<String, String> missing = new HashMap<>(client);
        missing.remove("HOME");
        assertTrue(SpareRule.whyOtherContext(new SpareRequest(List.of("ps"), "/w", missing, cmd), "/w", own, cmd).contains("HOME"));
        Map<String, String> added = new HashMap<>(client);
        added.put("TEROK_JAVA_OPTS", "-Xmx1g");
        assertTrue(SpareRule.whyOtherContext(new SpareRequest(List.of("ps"), "/w", added, cmd), "/w", own, cmd).contains("TEROK_JAVA_OPTS"));
        assertEquals("another CLI command line", SpareRule.whyOtherContext(
                new SpareRequest(List.of("ps"), "/w", client, List.of("java", "-jar", "other.jar", "cli-spare", "serve")), "/w", own, cmd));
    }
}
