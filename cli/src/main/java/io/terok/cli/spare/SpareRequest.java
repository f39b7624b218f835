package io.terok.cli.spare;

import java.io.DataInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the native client (cli/src/main/c/terok-client.c) sends a spare: the command's arguments, its working
 * directory, its environment and the command line a spare of its context is started with. Wire format, all integers
 * 32-bit big-endian: the magic {@link #MAGIC}, then four lists, each a count and that many length-prefixed UTF-8
 * strings: arguments, [cwd], environment (KEY=VALUE), spare command line. {@link #STOP} instead of the magic asks the
 * spare to end.
 */
public record SpareRequest(List<String> args, String cwd, Map<String, String> env, List<String> spareCommand) {
    /** Version 1 of this format; a client of another version gets "fallback". */
    public static final int MAGIC = 0x544b5331; // "TKS1"
    public static final int STOP = 0x544b5351; // "TKSQ"
    /** Bounds that keep a confused or hostile peer from making the spare allocate much. */
    static final int MAX_ITEMS = 100_000;
    static final int MAX_BYTES = 8 * 1024 * 1024;

    /** Reads the request after its magic. */
    public static SpareRequest read(DataInputStream in) throws IOException {
        int[] budget = {MAX_BYTES};
        List<String> args = strings(in, budget);
        List<String> cwd = strings(in, budget);
        if (cwd.size() != 1) {
            throw new IOException("the request holds " + cwd.size() + " working directories, not one");
        }
        Map<String, String> env = new LinkedHashMap<>();
        for (String kv : strings(in, budget)) {
            int eq = kv.indexOf('=');
            if (eq > 0) { // the process's own environment may hold odd entries; the JVM skips the same ones
                env.putIfAbsent(kv.substring(0, eq), kv.substring(eq + 1));
            }
        }
        return new SpareRequest(args, cwd.get(0), env, strings(in, budget));
    }

    private static List<String> strings(DataInputStream in, int[] budget) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > MAX_ITEMS) {
            throw new IOException("bad count " + n);
        }
        List<String> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int len = in.readInt();
            if (len < 0 || len > budget[0]) {
                throw new IOException("the request is too large");
            }
            budget[0] -= len;
            byte[] b = new byte[len];
            in.readFully(b);
            out.add(new String(b, StandardCharsets.UTF_8));
        }
        return out;
    }

    public String[] argsArray() {
        return args.toArray(String[]::new);
    }

    @Override
    public String toString() {
        return "SpareRequest" + Arrays.asList(args.size() + " args", cwd);
    }
}
