package io.terok.scriptedmodel;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.terok.common.Printable;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.function.Consumer;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * terok scripted model — a test double that replays a script, not an AI.
 *
 * <p>An HTTP server speaking the model APIs coding agents use (Anthropic Messages, OpenAI Responses and Chat
 * Completions, Gemini), streaming and not, with the vendors' event names and shapes. It answers each request from a
 * {@link Script}, statelessly: the number of tool results after the conversation's last plain user message picks
 * the step, so an agent's retries and parallel sessions get consistent answers. Requests that offer no tools, token
 * probes ({@code max_tokens: 1}) and token counting are auxiliary (titles, summaries, quota checks): they get a short
 * text and consume no step.
 */
public final class ScriptedModelServer implements AutoCloseable {

    /** Says what this is wherever a person might meet it (banner, auxiliary answers, model list). */
    public static final String BANNER = "terok scripted model — a test double that replays a script, not an AI";

    static final String MODEL_ID = "terok-scripted-model";
    static final String AUXILIARY_ANSWER = "Scripted session";

    private static final Pattern GEMINI_PATH = Pattern.compile("/v1(?:beta|alpha)?/models/([^/:]+):([A-Za-z]+)");
    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    private final Script script;
    private final HttpServer server;
    private final ExecutorService executor;
    private final CountDownLatch closed = new CountDownLatch(1);
    private final List<RecordedRequest> requests = new CopyOnWriteArrayList<>();
    private final List<String> failures = new CopyOnWriteArrayList<>();
    private volatile Consumer<RecordedRequest> listener = request -> { };

    private ScriptedModelServer(Script script, HttpServer server, ExecutorService executor) {
        this.script = script;
        this.server = server;
        this.executor = executor;
    }

    /** Listens on 127.0.0.1 on an ephemeral port. */
    public static ScriptedModelServer start(Script script) {
        return start(script, "127.0.0.1", 0);
    }

    public static ScriptedModelServer start(Script script, String bindHost, int port) {
        HttpServer server;
        try {
            server = HttpServer.create(new InetSocketAddress(bindHost, port), 64);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on " + bindHost + ":" + port + ": " + e.getMessage(), e);
        }
        ExecutorService executor = Executors.newCachedThreadPool(runnable -> {
            Thread thread = new Thread(runnable, "scripted-model");
            thread.setDaemon(true);
            return thread;
        });
        ScriptedModelServer model = new ScriptedModelServer(script, server, executor);
        server.setExecutor(executor);
        server.createContext("/", model::handle);
        server.start();
        return model;
    }

    /** {@code http://HOST:PORT}, no trailing slash. */
    public String baseUrl() {
        InetSocketAddress address = server.getAddress();
        String host = address.getAddress().getHostAddress();
        if (host.contains(":")) {
            host = "[" + host + "]";
        }
        return "http://" + host + ":" + address.getPort();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /** Every request received so far, auxiliary ones included, in arrival order. */
    public List<RecordedRequest> requests() {
        return List.copyOf(requests);
    }

    /** Requests the script could not answer (e.g. no shell-like tool offered), each with the reason it gave. */
    public List<String> failures() {
        return List.copyOf(failures);
    }

    /** Called with each request as it arrives, before it is answered (the command line's {@code --dump}). */
    public ScriptedModelServer onRequest(Consumer<RecordedRequest> listener) {
        this.listener = listener;
        return this;
    }

    @Override
    public void close() {
        closed.countDown();
        server.stop(0);
        executor.shutdownNow();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            RecordedRequest request = record(exchange);
            requests.add(request);
            listener.accept(request);
            try {
                route(exchange, request);
            } catch (RuntimeException e) {
                // A request shaped in a way this double does not follow: say so loudly rather than drop the line.
                String reason = "The " + BANNER + " could not answer " + request.method() + " " + request.path()
                        + ": " + e;
                failures.add(reason);
                System.err.println(Printable.line(reason, 2000));
                if (exchange.getResponseCode() == -1) {
                    new Reply(exchange).json(500, protocolFor(request).error(500, reason));
                }
            }
        } catch (IOException e) {
            // The client went away mid-answer (an agent's timeout, or close()): nothing more to say to it.
        }
    }

    private static RecordedRequest record(HttpExchange exchange) throws IOException {
        String body;
        try (InputStream in = exchange.getRequestBody()) {
            body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        return new RecordedRequest(exchange.getRequestMethod(), exchange.getRequestURI().getRawPath(),
                exchange.getRequestURI().getRawQuery(), exchange.getRequestHeaders(), body);
    }

    private void route(HttpExchange exchange, RecordedRequest request) throws IOException {
        Reply reply = new Reply(exchange);
        String path = request.path().endsWith("/") && request.path().length() > 1
                ? request.path().substring(0, request.path().length() - 1) : request.path();
        boolean post = request.method().equals("POST");
        Matcher gemini = GEMINI_PATH.matcher(path);
        if (post && path.equals("/v1/messages")) {
            converse(reply, new AnthropicMessages(), request, null, false);
        } else if (post && path.equals("/v1/messages/count_tokens")) {
            reply.json(200, JSON.objectNode().put("input_tokens", estimateTokens(request.body())));
        } else if (post && (path.equals("/v1/responses") || path.equals("/responses")
                // ChatGPT's backend for Codex on a ChatGPT login (https://chatgpt.com/backend-api/codex + /responses)
                || path.equals("/backend-api/codex/responses"))) {
            converse(reply, new OpenAiResponses(), request, null, false);
        } else if (post && (path.equals("/v1/chat/completions") || path.equals("/chat/completions"))) {
            converse(reply, new OpenAiChat(), request, null, false);
        } else if (post && gemini.matches()) {
            String method = gemini.group(2);
            switch (method) {
                case "generateContent" -> converse(reply, new Gemini(), request, gemini.group(1), false);
                case "streamGenerateContent" -> converse(reply, new Gemini(), request, gemini.group(1), true);
                case "countTokens" -> reply.json(200,
                        JSON.objectNode().put("totalTokens", estimateTokens(request.body())));
                default -> reply.json(404, protocolFor(request).error(404,
                        "Method " + method + " is not served by the " + BANNER));
            }
        } else if (request.method().equals("GET") && (path.equals("/v1/models") || path.equals("/models"))) {
            reply.json(200, modelList(request));
        } else if (request.method().equals("GET") && path.matches("/v1(beta|alpha)?/models")) {
            ObjectNode list = JSON.objectNode();
            list.putArray("models").addObject().put("name", "models/" + MODEL_ID).put("displayName", BANNER)
                    .putArray("supportedGenerationMethods").add("generateContent").add("countTokens");
            reply.json(200, list);
        } else {
            reply.json(404, protocolFor(request).error(404,
                    request.method() + " " + path + " is not an endpoint of the " + BANNER));
        }
    }

    /** The vendor a stray request most likely meant, so its error comes in a shape the client can show. */
    private static Protocol protocolFor(RecordedRequest request) {
        if (request.path().startsWith("/v1beta") || request.header("x-goog-api-key") != null) {
            return new Gemini();
        }
        if (request.header("anthropic-version") != null || request.path().contains("messages")) {
            return new AnthropicMessages();
        }
        return new OpenAiChat();
    }

    private static ObjectNode modelList(RecordedRequest request) {
        ObjectNode list = JSON.objectNode();
        ObjectNode model = list.putArray("data").addObject().put("id", MODEL_ID);
        if (request.header("anthropic-version") != null) {
            model.put("type", "model").put("display_name", BANNER).put("created_at", "2026-01-01T00:00:00Z");
            list.put("has_more", false).put("first_id", MODEL_ID).put("last_id", MODEL_ID);
        } else {
            model.put("object", "model").put("created", 1767225600L).put("owned_by", "terok");
            list.put("object", "list");
        }
        return list;
    }

    private void converse(Reply reply, Protocol protocol, RecordedRequest request, String pathModel,
                          boolean pathStreams) throws IOException {
        JsonNode body;
        try {
            body = Reply.JSON.readTree(request.body());
        } catch (JsonProcessingException e) {
            reply.json(400, protocol.error(400, "The request body is not JSON: " + e.getOriginalMessage()));
            return;
        }
        if (body == null || !body.isObject()) {
            reply.json(400, protocol.error(400, "The request body must be a JSON object"));
            return;
        }
        boolean stream = pathStreams || protocol.streaming(body, request.query());
        String model = protocol.model(body, pathModel);
        Protocol.Turn turn = new Protocol.Turn(body, request.query(), stream, model, estimateTokens(request.body()));
        List<ShellTool.Spec> tools = protocol.tools(body);
        Optional<JsonNode> structured = protocol.structuredOutput(body);
        if (structured.isPresent()) {
            // Routing classifiers, next-speaker checks and the like parse their answer: give them valid JSON.
            protocol.answer(reply, new Answer.Text(Reply.write(SchemaExample.of(null, structured.get()))), turn);
            return;
        }
        if (tools.isEmpty() || protocol.tokenProbe(body)) {
            protocol.answer(reply, new Answer.Text(AUXILIARY_ANSWER), turn);
            return;
        }
        Step step = script.stepFor(protocol.toolResultsSinceUserMessage(body));
        if (step instanceof Step.Hang) {
            awaitClose();
            return;
        }
        if (step instanceof Step.Text text) {
            protocol.answer(reply, new Answer.Text(text.answer()), turn);
            return;
        }
        String command = ((Step.Shell) step).command();
        Optional<ShellTool.Spec> shell = ShellTool.pick(tools);
        if (shell.isEmpty()) {
            List<String> names = new ArrayList<>();
            tools.forEach(tool -> names.add(tool.name()));
            String reason = "The script's next step runs a shell command, but this " + protocol.name()
                    + " request offers no shell-like tool; it offered: " + names;
            failures.add(reason);
            System.err.println(BANNER + ": " + Printable.line(reason, 2000));
            reply.json(500, protocol.error(500, reason));
            return;
        }
        protocol.answer(reply, ShellTool.call(shell.get(), command), turn);
    }

    private void awaitClose() {
        try {
            closed.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static int estimateTokens(String body) {
        return Math.max(1, body.length() / 4);
    }
}
