package io.backstop.server.guard.cli;

import java.nio.file.Path;

/** Where the guard commands find the shared data and the model resource by default (relative to the checkout). */
final class GuardPaths {
    private GuardPaths() {}

    static Path home() {
        return Path.of(System.getProperty("backstop.home", ".")).toAbsolutePath().normalize();
    }

    static Path sharedData(String file) {
        String shared = System.getProperty("backstop.shared");
        Path base = shared != null ? Path.of(shared) : home().resolve("../shared");
        return base.resolve("guardrails").resolve(file).normalize();
    }

    static Path modelResource() {
        return home().resolve("server/src/main/resources/io/backstop/server/guard/injection/injection-model.bin.gz");
    }
}
