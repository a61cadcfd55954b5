package io.backstop.engine.backend.jlama;

import static org.assertj.core.api.Assertions.assertThat;

import io.backstop.engine.Engine;
import io.backstop.engine.GenerationRequest;
import io.backstop.engine.LoadOptions;
import io.backstop.engine.Model;
import io.backstop.engine.TestModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Jlama writes its KV cache as files: each model gets its own folder, and nothing is left behind. */
class KvCacheFolderTest {
    private static final ProcessHandle SELF = ProcessHandle.current();

    @TempDir
    Path base;

    @Test
    void generationsLeaveNoPagesAndClosingTheModelRemovesItsFolder() throws Exception {
        Path processFolder = base.resolve(SELF.pid() + "-" + KvCacheFolder.startMillis(SELF));
        AtomicLong pagesDuringGeneration = new AtomicLong();
        try (Model model = Engine.load(TestModels.storiesDir(), LoadOptions.defaults().withWorkDir(base))) {
            assertThat(children(processFolder)).singleElement().satisfies(f -> assertThat(f.getFileName().toString()).startsWith("stories260K-"));
            for (int i = 0; i < 20; i++) {
                model.generate(GenerationRequest.text("Once upon a time").temperature(0).maxTokens(40).build(), delta -> {
                    if (pagesDuringGeneration.get() == 0) pagesDuringGeneration.set(pages(base));
                });
                assertThat(pages(base)).as("page files after generation %d", i + 1).isZero();
            }
        }
        assertThat(pagesDuringGeneration.get()).as("Jlama writes its pages into the model's folder").isPositive();
        assertThat(processFolder).as("gone with its last model").doesNotExist();
    }

    @Test
    void atJvmExitAnIdleFolderGoesAtOnceAndOneInUseWhenItsLastSessionEnds() {
        KvCacheFolder idle = KvCacheFolder.create(base, "idle");
        KvCacheFolder busy = KvCacheFolder.create(base, "busy");
        busy.sessionOpened();
        idle.onExit();
        busy.onExit();
        assertThat(idle.path()).doesNotExist();
        assertThat(busy.path()).as("a generation still running (a graceful shutdown drains it) writes pages there").isDirectory();
        busy.sessionOpened();
        busy.sessionClosed(UUID.randomUUID());
        assertThat(busy.path()).isDirectory();
        busy.sessionClosed(UUID.randomUUID());
        assertThat(busy.path()).doesNotExist();
        assertThat(busy.path().getParent()).doesNotExist();
    }

    @Test
    void aModelLoadedAfterTheLastOneClosedGetsAFolderAgain() {
        KvCacheFolder.create(base, "first").close();
        KvCacheFolder second = KvCacheFolder.create(base, "second");
        assertThat(second.path()).isDirectory();
        second.close();
    }

    @Test
    void startingRemovesTheFoldersOfProcessesThatAreGone() throws Exception {
        Process finished = new ProcessBuilder("true").start();
        finished.waitFor();
        Path dead = base.resolve(finished.pid() + "-" + System.currentTimeMillis());
        Path reusedPid = base.resolve(SELF.pid() + "-1"); // our pid, but another start time: a former owner of the pid
        Path notOurs = base.resolve("photos");
        for (Path p : List.of(dead.resolve("m-1"), reusedPid.resolve("m-2"), notOurs)) {
            Files.createDirectories(p);
            Files.writeString(p.resolve("x.page"), "kv");
        }

        KvCacheFolder folder = KvCacheFolder.create(base, "m");

        assertThat(dead).doesNotExist();
        assertThat(reusedPid).doesNotExist();
        assertThat(notOurs.resolve("x.page")).exists();
        assertThat(folder.path().getParent()).isEqualTo(base.resolve(SELF.pid() + "-" + KvCacheFolder.startMillis(SELF)));
        folder.close();
    }

    @Test
    void aFolderIsStaleOnlyWhenItsProcessIsGone() throws Exception {
        assertThat(KvCacheFolder.isStale(SELF.pid() + "-" + KvCacheFolder.startMillis(SELF))).isFalse();
        assertThat(KvCacheFolder.isStale(SELF.pid() + "-1")).isTrue();
        Process finished = new ProcessBuilder("true").start();
        finished.waitFor();
        assertThat(KvCacheFolder.isStale(finished.pid() + "-1")).isTrue();
        assertThat(KvCacheFolder.isStale("backstop")).isFalse();
        assertThat(KvCacheFolder.isStale("12-ab")).isFalse();
    }

    private static List<Path> children(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.toList();
        }
    }

    private static long pages(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".page")).count();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
