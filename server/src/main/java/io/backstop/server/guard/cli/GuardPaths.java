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

    /** The detector with the model in {@code file} (as {@code guard train --out} writes it), or the shipped one when null. */
    static io.backstop.server.guard.injection.InjectionDetector detector(Path file, picocli.CommandLine cmd) {
        if (file == null) return io.backstop.server.guard.injection.InjectionDetector.shipped();
        try (java.io.InputStream in = java.nio.file.Files.newInputStream(file)) {
            return new io.backstop.server.guard.injection.InjectionDetector(io.backstop.server.guard.injection.LinearModel.read(in));
        } catch (java.io.IOException | RuntimeException e) {
            throw new picocli.CommandLine.ParameterException(cmd, "--model " + file + ": not a model file written by guard train (" + e.getMessage() + ")");
        }
    }

    static Path modelResource() {
        return home().resolve("server/src/main/resources/io/backstop/server/guard/injection/injection-model.bin.gz");
    }
}
