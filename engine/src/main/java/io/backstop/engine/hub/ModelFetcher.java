package io.backstop.engine.hub;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * Puts a model into a local directory: downloads it from a Hugging Face endpoint ({@code owner/name[@revision]}
 * for a safetensors model, {@code owner/name:QUANT} or a named file for one GGUF file) or copies it from a
 * local model directory. Only the files Backstop needs are taken ({@link ModelFiles}). Files already
 * complete at the destination are skipped; each file is written to {@code name.part} and renamed when
 * complete, so an interrupted run never leaves a truncated file under its real name; a GGUF download
 * resumes from its part ({@link ResumableDownload}). All failures are {@link ModelFetchException}s with a
 * one-line, user-facing message.
 */
public final class ModelFetcher {
    public static final String DEFAULT_ENDPOINT = "https://huggingface.co";

    private final URI endpoint;
    private final String token; // null when absent; must never appear in a message or log

    /** Reads {@code HF_ENDPOINT} and {@code HF_TOKEN} from the process environment. */
    public ModelFetcher() {
        this(System.getenv());
    }

    /** Reads {@code HF_ENDPOINT} (default {@value #DEFAULT_ENDPOINT}) and {@code HF_TOKEN} from {@code env}. */
    public ModelFetcher(Map<String, String> env) {
        this(env.get("HF_ENDPOINT"), env.get("HF_TOKEN"));
    }

    /** @param endpoint base URL, null or blank for {@value #DEFAULT_ENDPOINT}; @param token null or blank for none */
    public ModelFetcher(String endpoint, String token) {
        String base = endpoint == null || endpoint.isBlank() ? DEFAULT_ENDPOINT : endpoint.strip();
        while (base.endsWith("/")) {
            base = base.substring(0, base.length() - 1);
        }
        URI uri;
        try {
            uri = URI.create(base);
        } catch (IllegalArgumentException e) {
            throw new ModelFetchException("HF_ENDPOINT '" + base + "' is not a valid URL");
        }
        if (uri.getHost() == null || !("http".equalsIgnoreCase(uri.getScheme()) || "https".equalsIgnoreCase(uri.getScheme()))) {
            throw new ModelFetchException("HF_ENDPOINT '" + base + "' must be an http(s) URL such as " + DEFAULT_ENDPOINT);
        }
        this.endpoint = uri;
        this.token = token == null || token.isBlank() ? null : token.strip();
    }

    /** The endpoint in use, e.g. {@code https://huggingface.co}. */
    public String endpoint() {
        return endpoint.toString();
    }

    /** {@code models/<name>}: name is the repo name of a repo id (with or without a tag), or the {@link ModelNames name} of a local directory. */
    public static Path defaultDestination(String source) {
        Path local = asLocalDirectory(source);
        return modelsFolder().resolve(local != null ? ModelNames.of(local) : HubSource.parse(source).repo().name());
    }

    /** Where models go by default: {@code <backstop>/models}, else {@code models} in the working directory. */
    public static Path modelsFolder() {
        // scripts/backstop passes its checkout as backstop.home, so models land in <checkout>/models from any cwd.
        String home = System.getProperty("backstop.home");
        return home != null ? Path.of(home, "models") : Path.of("models");
    }

    /** Same as {@link #fetch(String, Path, String, ProgressListener)} with the default destination and revision. */
    public Path fetch(String source, ProgressListener listener) {
        return fetch(source, null, null, listener);
    }

    /** Same as {@link #fetch(String, Path, String, String, ProgressListener)} without a file name. */
    public Path fetch(String source, Path dest, String revision, ProgressListener listener) {
        return fetch(source, dest, revision, null, listener);
    }

    /**
     * Fetches {@code source} into {@code dest}.
     *
     * @param source   an existing local model directory, a repo id {@code owner/name[@revision]}, or
     *                 {@code owner/name[@revision]:QUANT} for the one GGUF file of that quantization
     * @param dest     target directory, or null for {@link #defaultDestination(String)}
     * @param revision branch, tag or commit, or null (then the {@code @revision} of the source, else {@code main});
     *                 ignored for local directories
     * @param file     a GGUF file of the repo to take (instead of a tag), or null
     * @return the absolute path of the model directory, or of the GGUF file
     */
    public Path fetch(String source, Path dest, String revision, String file, ProgressListener listener) {
        Objects.requireNonNull(source, "source");
        ProgressListener progress = listener == null ? ProgressListener.NONE : listener;
        Path target = dest != null ? dest : defaultDestination(source);
        Path local = asLocalDirectory(source);
        if (local != null) {
            if (file != null) throw new ModelFetchException("--file takes a file of a Hugging Face repo, not of a local directory");
            return copyLocal(local, target, progress);
        }
        HubSource hub = HubSource.parse(source);
        if (revision != null && !revision.isBlank()) {
            if (source.contains("@") && !hub.repo().revision().equals(revision.strip())) {
                throw new ModelFetchException("conflicting revisions: '" + source + "' and --revision " + revision);
            }
            hub = hub.withRevision(revision.strip());
        }
        if (file != null && hub.tag() != null) throw new ModelFetchException("give a quantization tag (" + source + ") or --file, not both");
        if (file != null || hub.tag() != null) return downloadGguf(hub, file, target, progress);
        return download(hub.repo(), target, progress);
    }

    // ---------------------------------------------------------------- local copy

    private static Path asLocalDirectory(String source) {
        try {
            Path p = Path.of(source);
            return Files.isDirectory(p) ? p : null;
        } catch (InvalidPathException e) {
            return null;
        }
    }

    private static Path copyLocal(Path source, Path dest, ProgressListener listener) {
        List<String> files;
        try (Stream<Path> entries = Files.list(source)) {
            // isRegularFile follows symlinks, so a Hugging Face cache snapshot directory works too.
            files = ModelFiles.select(entries.filter(Files::isRegularFile).map(p -> p.getFileName().toString()).toList());
        } catch (IOException e) {
            throw new ModelFetchException("cannot read " + source + ": " + reason(e));
        }
        if (files.stream().noneMatch(ModelFiles::isWeights)) {
            throw new ModelFetchException("no *.safetensors in " + source + " (Backstop needs safetensors weights)");
        }
        try {
            if (Files.exists(dest) && Files.isSameFile(source, dest)) {
                return source.toAbsolutePath().normalize();
            }
        } catch (IOException e) {
            // fall through: the copy below reports a readable error if dest is unusable
        }
        createDirectories(dest);
        for (String file : files) {
            Path from = source.resolve(file);
            Path to = dest.resolve(file);
            try {
                long size = Files.size(from);
                if (Files.isRegularFile(to) && Files.size(to) == size) {
                    listener.fileFinished(file, size, true);
                    continue;
                }
                try (InputStream in = Files.newInputStream(from)) {
                    writeAtomically(in, to, file, size, listener);
                }
            } catch (IOException e) {
                throw new ModelFetchException("copying " + from + " to " + dest + " failed: " + reason(e));
            }
        }
        return dest.toAbsolutePath().normalize();
    }

    // ---------------------------------------------------------------- download

    private Path download(RepoId repo, Path dest, ProgressListener listener) {
        try (HubClient hub = new HubClient(endpoint, token)) {
            List<String> files = modelFiles(hub, repo);
            createDirectories(dest);
            for (String file : files) {
                downloadFile(hub, repo, file, dest.resolve(file), listener);
            }
            return dest.toAbsolutePath().normalize();
        }
    }

    private List<String> modelFiles(HubClient hub, RepoId repo) {
        List<String> names = hub.listFiles(repo).stream().map(HubClient.RemoteFile::name).toList();
        List<String> files = ModelFiles.select(names);
        if (files.stream().noneMatch(ModelFiles::isWeights)) {
            List<String> ggufs = GgufFiles.models(names);
            throw new ModelFetchException("no *.safetensors in '" + repo.id() + "' at revision " + repo.revision() + " on "
                    + endpoint + (ggufs.isEmpty() ? " (Backstop needs safetensors or GGUF weights)"
                    : "; it has GGUF files: take one with " + repo.id() + ":QUANT (e.g. :Q4_K_M) or --file NAME.gguf (" + String.join(", ", ggufs) + ")"));
        }
        return files;
    }

    private void downloadFile(HubClient hub, RepoId repo, String file, Path target, ProgressListener listener) {
        URI uri = hub.resolve(repo, file);
        try {
            if (Files.isRegularFile(target)) {
                long remote = hub.remoteSize(uri);
                if (remote >= 0 && remote == Files.size(target)) {
                    listener.fileFinished(file, remote, true);
                    return;
                }
            }
            HttpResponse<InputStream> response = hub.send(uri, "GET", true, Map.of());
            try (InputStream body = response.body()) {
                if (response.statusCode() != 200) {
                    throw hub.httpError(response.statusCode(), repo, file);
                }
                long total = response.headers().firstValueAsLong("Content-Length").orElse(-1);
                writeAtomically(body, target, file, total, listener);
            }
        } catch (IOException e) {
            throw new ModelFetchException("downloading '" + file + "' of '" + repo.id() + "' into " + target.getParent()
                    + " failed (" + reason(e) + "); run the same command again to retry");
        }
    }

    /**
     * One GGUF file of a repo, named by {@code file} or chosen by the source's quantization tag, downloaded
     * into {@code dir} (its path in the repo kept) with resume and checksum.
     */
    private Path downloadGguf(HubSource source, String file, Path dir, ProgressListener listener) {
        try (HubClient hub = new HubClient(endpoint, token)) {
            List<HubClient.RemoteFile> files = hub.listFiles(source.repo());
            List<String> names = files.stream().map(HubClient.RemoteFile::name).toList();
            String chosen = file != null ? GgufFiles.byName(names, file, source.repo().id()) : GgufFiles.byTag(names, source.tag(), source.repo().id());
            HubClient.RemoteFile remote = files.stream().filter(f -> f.name().equals(chosen)).findFirst().orElseThrow();
            Path target = inside(dir, chosen);
            return new ResumableDownload(hub, source.repo(), remote, target, listener).run().toAbsolutePath().normalize();
        }
    }

    /** {@code dir/name} for a name from the hub, refused if it would leave {@code dir}. */
    private static Path inside(Path dir, String name) {
        Path base = dir.toAbsolutePath().normalize();
        Path p = base.resolve(name).normalize();
        if (name.startsWith("/") || name.contains("\\") || !p.startsWith(base) || p.equals(base)) {
            throw new ModelFetchException("the hub named a file '" + name + "' outside the model folder; refused");
        }
        return p;
    }

    // ---------------------------------------------------------------- helpers

    /** Streams {@code in} to {@code target.part}, checks the length, then renames it to {@code target}. */
    private static void writeAtomically(InputStream in, Path target, String file, long total, ProgressListener listener)
            throws IOException {
        Path part = target.resolveSibling(target.getFileName() + ".part");
        listener.fileStarted(file, total);
        long done = 0;
        try {
            try (OutputStream out = Files.newOutputStream(part)) {
                byte[] buffer = new byte[1 << 16];
                for (int n; (n = in.read(buffer)) > 0; ) {
                    out.write(buffer, 0, n);
                    done += n;
                    listener.bytesTransferred(file, done, total);
                }
            }
            if (total >= 0 && done != total) {
                throw new IOException("got " + done + " of " + total + " bytes");
            }
            try {
                Files.move(part, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(part, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(part);
        }
        listener.fileFinished(file, done, false);
    }

    private static void createDirectories(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new ModelFetchException("cannot create " + dir + ": " + reason(e));
        }
    }

    static String reason(Throwable e) {
        return HubClient.reason(e);
    }
}
