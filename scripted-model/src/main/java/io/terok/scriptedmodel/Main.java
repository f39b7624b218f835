package io.terok.scriptedmodel;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.concurrent.CountDownLatch;

/**
 * {@code java -jar terok-scripted-model.jar --port N [--bind 127.0.0.1] --script FILE}: serves the script until
 * killed.
 */
public final class Main {

    private static final String USAGE =
            "usage: terok-scripted-model --port N [--bind 127.0.0.1] --script FILE [--dump DIR]";

    private Main() {
    }

    public static void main(String[] args) throws IOException, InterruptedException {
        Integer port = null;
        String bind = "127.0.0.1";
        Path scriptFile = null;
        Path dump = null;
        for (int i = 0; i < args.length; i++) {
            String option = args[i];
            if (option.equals("--help") || option.equals("-h")) {
                System.out.println(ScriptedModelServer.BANNER);
                System.out.println(USAGE);
                return;
            }
            if (i + 1 >= args.length) {
                fail(option + " needs a value");
            }
            String value = args[++i];
            switch (option) {
                case "--port" -> {
                    try {
                        port = Integer.parseInt(value);
                    } catch (NumberFormatException e) {
                        fail("--port must be a number from 0 to 65535, got '" + value + "'");
                    }
                    if (port < 0 || port > 65535) {
                        fail("--port must be a number from 0 to 65535, got " + port);
                    }
                }
                case "--bind" -> bind = value;
                case "--script" -> scriptFile = Path.of(value);
                case "--dump" -> dump = Path.of(value);
                default -> fail("unknown option " + option);
            }
        }
        if (port == null || scriptFile == null) {
            fail("--port and --script are required");
        }
        Script script;
        try {
            script = ScriptFile.read(scriptFile);
        } catch (IllegalArgumentException | IOException e) {
            fail("cannot read the script: " + e.getMessage());
            return;
        }
        ScriptedModelServer server = ScriptedModelServer.start(script, bind, port);
        if (dump != null) {
            Files.createDirectories(dump);
            server.onRequest(new Dump(dump));
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stopped.countDown();
        }));
        System.out.println(ScriptedModelServer.BANNER);
        System.out.println("listening on " + server.baseUrl() + " with " + script.steps().size() + " steps from "
                + scriptFile);
        System.out.flush();
        stopped.await();
    }

    /** Writes each request to DIR/NNN.txt (request line, headers, body) and prints its request line. */
    private record Dump(Path dir, AtomicInteger count) implements Consumer<RecordedRequest> {
        Dump(Path dir) {
            this(dir, new AtomicInteger());
        }

        @Override
        public void accept(RecordedRequest request) {
            int n = count.incrementAndGet();
            StringBuilder text = new StringBuilder(request.method()).append(' ').append(request.path());
            if (!request.query().isEmpty()) {
                text.append('?').append(request.query());
            }
            System.out.println(String.format("%03d ", n) + text);
            text.append('\n');
            request.headers().forEach((name, values) -> values.forEach(
                    value -> text.append(name).append(": ").append(value).append('\n')));
            text.append('\n').append(request.body()).append('\n');
            try {
                Files.writeString(dir.resolve(String.format("%03d.txt", n)), text, StandardCharsets.UTF_8);
            } catch (java.io.IOException e) {
                System.err.println("terok-scripted-model: cannot write the dump: " + e.getMessage());
            }
        }
    }

    private static void fail(String message) {
        System.err.println("terok-scripted-model: " + message);
        System.err.println(USAGE);
        System.exit(2);
    }
}
