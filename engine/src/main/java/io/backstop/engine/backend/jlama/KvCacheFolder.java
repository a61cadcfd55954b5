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
import java.util.Set;
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
 * closes, the model's folder when the model closes, and folders of processes that no longer run (killed,
 * crashed) at the next start. When the JVM exits, a shutdown hook deletes the folders of idle models at
 * once and those of models still generating (a graceful shutdown lets running requests finish) when their
 * last session ends, since Jlama creates page files as a generation grows. Deletion is best effort: a file
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
    private static final Set<KvCacheFolder> OPEN = ConcurrentHashMap.newKeySet();
    private static final AtomicInteger SEQUENCE = new AtomicInteger();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            OPEN.forEach(KvCacheFolder::onExit);
            PROCESS_FOLDERS.values().forEach(KvCacheFolder::deleteIfEmpty);
        }, "backstop-kv-cache-cleanup"));
    }

    private final Path path;
    private int openSessions;
    private boolean exiting;

    private KvCacheFolder(Path path) {
        this.path = path;
    }

    /** A new, empty folder for one model under {@code base} (null = the default base). */
    static KvCacheFolder create(Path base, String modelName) {
        Path root = (base != null ? base : defaultBase()).toAbsolutePath().normalize();
        try {
            Path process = privateFolder(PROCESS_FOLDERS.computeIfAbsent(root, KvCacheFolder::processFolder));
            KvCacheFolder folder = new KvCacheFolder(Files.createDirectory(process.resolve(safe(modelName) + "-" + SEQUENCE.incrementAndGet())));
            OPEN.add(folder);
            return folder;
        } catch (IOException | java.io.UncheckedIOException e) {
            IOException cause = e instanceof java.io.UncheckedIOException u ? u.getCause() : (IOException) e;
            String why = cause instanceof java.nio.file.AccessDeniedException ? "permission denied: " + cause.getMessage() : String.valueOf(cause);
            throw new ModelLoadException("cannot create the KV cache folder under " + root + " (" + why + "); set " + ENV + " to a writable folder", e);
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

    /** A session starts writing pages here. */
    synchronized void sessionOpened() {
        openSessions++;
        if (exiting) { // the JVM is exiting and a new session still runs: its pages need the folder back
            try {
                Files.createDirectories(path);
            } catch (IOException e) {
                // the session fails with Jlama's own error
            }
        }
    }

    /** Deletes the pages of a finished session (Jlama names them after the session's id). */
    synchronized void sessionClosed(UUID session) {
        try (DirectoryStream<Path> pages = Files.newDirectoryStream(path, session + "-*.page")) {
            for (Path p : pages) Files.deleteIfExists(p);
        } catch (IOException e) {
            // best effort: whatever is left goes with the folder
        }
        openSessions--;
        if (exiting && openSessions == 0) removeFolder();
    }

    /** JVM exit: the folder goes now if no session runs, else when the last one ends. */
    synchronized void onExit() {
        exiting = true;
        if (openSessions == 0) removeFolder();
    }

    @Override
    public synchronized void close() {
        OPEN.remove(this);
        removeFolder();
    }

    private void removeFolder() {
        deleteTree(path);
        deleteIfEmpty(path.getParent()); // the process folder, once its last model is gone
    }

    /** This process's folder under {@code root}; the folders of processes that are gone are removed first. */
    private static Path processFolder(Path root) {
        try {
            Files.createDirectories(root);
            try (DirectoryStream<Path> entries = Files.newDirectoryStream(root)) {
                for (Path p : entries) {
                    if (isStale(p.getFileName().toString())) deleteTree(p);
                }
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return root.resolve(SELF.pid() + "-" + startMillis(SELF));
    }

    /** Creates the folder (again, after its last model closed) readable by this user only. */
    private static Path privateFolder(Path folder) throws IOException {
        if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            return Files.createDirectories(folder, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        return Files.createDirectories(folder);
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

    private static void deleteIfEmpty(Path dir) {
        try {
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            // not empty (another model of this process), or already gone
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
