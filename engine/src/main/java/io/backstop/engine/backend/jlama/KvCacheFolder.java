package io.backstop.engine.backend.jlama;

import io.backstop.engine.ModelLoadException;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystems;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A loaded model's working folder, where Jlama 0.8.4 keeps its KV cache. Jlama memory-maps one
 * {@code <session>-L<i>C<j>.page} file per cache page there and never deletes one; left to itself it
 * uses a fresh folder in java.io.tmpdir that is never removed either (long runs left 488k files, 4.5 GB).
 * So each model gets {@code <base>/<pid>-<start>/<name>-<n>}: a session's pages are deleted when it
 * closes, the model's folder when the model closes, the process folder on JVM shutdown, and folders of
 * processes that no longer run (killed, crashed) at the next start. Deletion is best effort: a file
 * still mapped cannot be deleted on Windows, so it waits for the next start.
 */
final class KvCacheFolder implements AutoCloseable {
    /** Environment variable that moves the base folder (default {@code <java.io.tmpdir>/backstop-<user>}). */
    static final String ENV = "BACKSTOP_WORK_DIR";
    private static final Pattern PROCESS_FOLDER = Pattern.compile("(\\d+)-(\\d+)");
    /** Start instants are derived from clock ticks; the same process reads the same value, a new one differs by far more. */
    private static final long SAME_START_TOLERANCE_MS = 1000;
    private static final ProcessHandle SELF = ProcessHandle.current();
    private static final Map<Path, Path> PROCESS_FOLDERS = new ConcurrentHashMap<>();
    private static final AtomicInteger SEQUENCE = new AtomicInteger();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> PROCESS_FOLDERS.values().forEach(KvCacheFolder::deleteTree),
                "backstop-kv-cache-cleanup"));
    }

    private final Path path;

    private KvCacheFolder(Path path) {
        this.path = path;
    }

    /** A new, empty folder for one model under {@code base} (null = the default base). */
    static KvCacheFolder create(Path base, String modelName) {
        Path root = (base != null ? base : defaultBase()).toAbsolutePath().normalize();
        try {
            Path process = PROCESS_FOLDERS.computeIfAbsent(root, KvCacheFolder::createProcessFolder);
            return new KvCacheFolder(Files.createDirectory(process.resolve(safe(modelName) + "-" + SEQUENCE.incrementAndGet())));
        } catch (IOException | RuntimeException e) {
            throw new ModelLoadException("cannot create the KV cache folder under " + root + " (set " + ENV + " to a writable folder): " + e, e);
        }
    }

    static Path defaultBase() {
        String env = System.getenv(ENV);
        if (env != null && !env.isBlank()) return Path.of(env);
        return Path.of(System.getProperty("java.io.tmpdir"), "backstop-" + safe(System.getProperty("user.name", "user")));
    }

    Path path() {
        return path;
    }

    /** Deletes the pages of a finished session (Jlama names them after the session's id). */
    void deleteSession(UUID session) {
        try (DirectoryStream<Path> pages = Files.newDirectoryStream(path, session + "-*.page")) {
            for (Path p : pages) Files.deleteIfExists(p);
        } catch (IOException e) {
            // best effort: whatever is left goes with the folder
        }
    }

    @Override
    public void close() {
        deleteTree(path);
    }

    /** Creates this process's folder under {@code root}, first removing the folders of processes that are gone. */
    private static Path createProcessFolder(Path root) {
        try {
            Files.createDirectories(root);
            try (DirectoryStream<Path> entries = Files.newDirectoryStream(root)) {
                for (Path p : entries) {
                    if (isStale(p.getFileName().toString())) deleteTree(p);
                }
            }
            Path folder = root.resolve(SELF.pid() + "-" + startMillis(SELF));
            if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
                return Files.createDirectories(folder, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            }
            return Files.createDirectories(folder);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * True for a {@code <pid>-<start>} folder whose process no longer runs: no live process has that pid,
     * or the one that has it started at another time (the pid was reused). Other names are not ours.
     */
    static boolean isStale(String folderName) {
        Matcher m = PROCESS_FOLDER.matcher(folderName);
        if (!m.matches()) return false;
        long pid;
        long start;
        try {
            pid = Long.parseLong(m.group(1));
            start = Long.parseLong(m.group(2));
        } catch (NumberFormatException e) {
            return false;
        }
        Optional<ProcessHandle> process = ProcessHandle.of(pid).filter(ProcessHandle::isAlive);
        if (process.isEmpty()) return true;
        long actual = startMillis(process.get());
        return start != 0 && actual != 0 && Math.abs(actual - start) > SAME_START_TOLERANCE_MS;
    }

    /** When the process started, in epoch millis; 0 where the OS does not say. */
    static long startMillis(ProcessHandle p) {
        return p.info().startInstant().map(Instant::toEpochMilli).orElse(0L);
    }

    private static String safe(String name) {
        String s = name == null ? "" : name.replaceAll("[^A-Za-z0-9._-]", "_");
        return s.isEmpty() || s.startsWith(".") ? "model" + s : s;
    }

    /** Deletes a folder and everything in it without following links; errors are ignored. */
    static void deleteTree(Path root) {
        if (!Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) return;
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                    delete(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException e) {
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException e) {
                    delete(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            // best effort
        }
    }

    private static void delete(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            // best effort: a file still mapped on Windows, or one another user owns
        }
    }
}
