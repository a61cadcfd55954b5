package io.backstop.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.backstop.engine.GenerationHandle;
import io.backstop.engine.GenerationRequest;
import io.backstop.engine.Model;
import io.backstop.server.config.ModelConfig;
import io.backstop.server.config.RequestDefaults;
import io.backstop.server.config.ServerConfig;
import io.backstop.server.http.BackstopServer;
import io.backstop.server.route.ModelRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/** The real server on a free loopback port, serving ../shared/models/stories260K/hf as "stories". */
public final class TestServer implements AutoCloseable {
    public static final String MODEL = "stories";
    private final ModelRegistry registry;
    private final BackstopServer server;

    private TestServer(ServerConfig config, io.backstop.server.route.RouteTable routes) {
        this(config, routes, null, null);
    }

    private TestServer(ServerConfig config, io.backstop.server.route.RouteTable routes, io.backstop.server.observe.trace.Tracing tracing,
                       java.util.function.DoubleSupplier random) {
        this.registry = new ModelRegistry(config.models(), 0);
        this.server = (tracing == null ? new BackstopServer(config, registry, routes)
                : new BackstopServer(config, registry, routes, io.backstop.server.observe.Observability.create(config, registry, routes, tracing, random))).start();
        registry.loadAll();
    }

    /** With the given tracing (e.g. an SDK with an in-memory exporter) and the judge's sampling source, values in [0, 1). */
    public static TestServer startObserved(ServerConfig config, io.backstop.server.route.RouteTable routes, io.backstop.server.observe.trace.Tracing tracing,
                                           java.util.function.DoubleSupplier random) {
        return new TestServer(config, routes, tracing, random);
    }

    /** With remote providers and routes (the route table is built by the test, e.g. with fixed jitter). */
    public static TestServer startRouted(ServerConfig config, io.backstop.server.route.RouteTable routes) {
        return new TestServer(config, routes);
    }

    public static TestServer start() {
        return start(c -> c);
    }

    /** Starts with the default test configuration, adjusted by {@code edit}. */
    public static TestServer start(java.util.function.UnaryOperator<ServerConfig> edit) {
        return new TestServer(edit.apply(config(2, 32)), io.backstop.server.route.RouteTable.empty());
    }

    public static ServerConfig config(int maxInFlight, int queueSize) {
        ModelConfig stories = new ModelConfig(MODEL, storiesDir(), null, "raw", maxInFlight, queueSize, true, RequestDefaults.none());
        return new ServerConfig("127.0.0.1", 0, List.of(), 64 * 1024, 0, 600, List.of(stories));
    }

    public static Path shared() {
        return Path.of(System.getProperty("backstop.shared", "../shared")).toAbsolutePath().normalize();
    }

    public static Path storiesDir() {
        return shared().resolve("models/stories260K/hf");
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + server.port();
    }

    public BackstopServer server() {
        return server;
    }

    public ModelRegistry registry() {
        return registry;
    }

    /** llama2.c's greedy references: prompt, steps, prompt_ids, generated_ids, text. */
    public static List<JsonNode> references() {
        ObjectMapper json = new ObjectMapper();
        try (Stream<Path> files = Files.list(shared().resolve("models/stories260K/reference"))) {
            return files.sorted().map(f -> {
                try {
                    return json.readTree(f.toFile());
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Tokens run.c generates for a reference: until position {@code steps}. */
    public static int maxTokens(JsonNode ref) {
        return ref.get("steps").asInt() - ref.get("prompt_ids").size() + 1;
    }

    /** The reference text minus its prompt: what a completion must return. */
    public static String continuation(JsonNode ref) {
        return ref.get("text").asText().substring(ref.get("prompt").asText().length());
    }

    /**
     * Occupies one of the model's running slots until closed (a generation whose listener waits), so a
     * test can put requests in the queue behind it deterministically.
     */
    public static AutoCloseable holdASlot(Model model) throws InterruptedException {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch holding = new CountDownLatch(1);
        GenerationHandle h = model.submit(GenerationRequest.text("Once").greedy().maxTokens(2).build(), delta -> {
            holding.countDown();
            try {
                release.await(120, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        if (!holding.await(60, TimeUnit.SECONDS)) throw new IllegalStateException("the model never started the holding generation");
        return () -> {
            release.countDown();
            h.result().handle((r, e) -> r).get(60, TimeUnit.SECONDS);
        };
    }

    /** Polls state (never a fixed sleep for ordering); fails only when it does not happen within a generous minute. */
    public static void awaitState(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError("timed out waiting for " + what);
            Thread.sleep(5);
        }
    }

    @Override
    public void close() {
        server.close();
        registry.close();
    }
}
