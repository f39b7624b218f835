package io.terok.cli.spare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.terok.cli.TerokCommand;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The spare's command tree built before the client comes: checked and then run, it acts as a fresh CLI's. */
class PreparedTreeTest {
    @TempDir
    Path dir;

    private Map<String, String> env() throws Exception {
        // No services here: every runtime verb fails at once, naming the socket it looked for.
        return Map.of("TEROK_RUNTIME_DIR", Files.createDirectories(dir.resolve("run")).toString(),
                "TEROK_STATE_DIR", dir.resolve("state").toString(), "TEROK_CONFIG_DIR", dir.resolve("config").toString(),
                "TEROK_DATA_DIR", dir.resolve("data").toString());
    }

    private record Ran(int code, String out, String err) {
    }

    private Ran prepared(String[] check, String[] args) throws Exception {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        LateOutput lo = new LateOutput();
        LateOutput le = new LateOutput();
        PrintStream out = new PrintStream(lo, true, StandardCharsets.UTF_8);
        PrintStream err = new PrintStream(le, true, StandardCharsets.UTF_8);
        TerokCommand.Prepared p = TerokCommand.prepare(out, err, env());
        assertNull(p.refusal(check), "served: " + String.join(" ", check));
        lo.bind(o);
        le.bind(e);
        int code = p.run(args);
        return new Ran(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
    }

    private Ran fresh(String[] args) throws Exception {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        int code = TerokCommand.run(args, new PrintStream(o, true, StandardCharsets.UTF_8),
                new PrintStream(e, true, StandardCharsets.UTF_8), env());
        return new Ran(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
    }

    @Test
    void checkedThenRunItPrintsAndExitsAsAFreshTree() throws Exception {
        String[] ps = {"ps", "-a"};
        Ran a = prepared(ps, ps);
        Ran b = fresh(ps);
        assertEquals(b, a);
        assertTrue(a.code() != 0 && a.err().contains("runtime"), "ps without services fails naming runtime: " + a);
    }

    @Test
    void whatTheCheckParsedDoesNotCarryIntoTheRun() throws Exception {
        // The check parses `task run` with a name; the run is another command line on the same tree.
        String[] check = {"task", "run", "--name", "checked-name", "demo", "Say hello."};
        String[] run = {"task", "list", "demo"};
        Ran a = prepared(check, run);
        assertEquals(fresh(run), a);
        assertTrue(!a.out().contains("checked-name") && !a.err().contains("checked-name"), a.toString());
    }

    @Test
    void itRefusesWhatTheSpareMustNot() throws Exception {
        TerokCommand.Prepared p = TerokCommand.prepare(new PrintStream(new LateOutput()), new PrintStream(new LateOutput()), env());
        assertNotNull(p.refusal(new String[] {"task", "run", "demo"}));
        assertNotNull(p.refusal(new String[] {"run", "-t", "img", "sh"}));
        assertNotNull(p.refusal(new String[] {"ps", "--no-such-option"}));
    }
}
