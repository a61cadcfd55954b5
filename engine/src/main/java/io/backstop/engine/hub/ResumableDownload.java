package io.backstop.engine.hub;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Downloads one (large) file so that an interruption loses nothing: bytes go to {@code NAME.part},
 * which stays when the transfer breaks; the next run asks only for the rest ({@code Range}) and appends
 * (when the hub lists the file's SHA-256, so that the joined file can be checked; else it starts over).
 * The result is checked against the size and, when the hub gives it, the SHA-256 of its file list before
 * it is renamed to {@code NAME}. A lock on the part keeps two processes from writing the same file.
 */
final class ResumableDownload {
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+|\\*)");
    private static final double GB = 1e9;

    private final HubClient hub;
    private final RepoId repo;
    private final HubClient.RemoteFile file;
    private final Path target;
    private final Path part;
    private final ProgressListener listener;

    ResumableDownload(HubClient hub, RepoId repo, HubClient.RemoteFile file, Path target, ProgressListener listener) {
        this.hub = hub;
        this.repo = repo;
        this.file = file;
        this.target = target;
        this.part = target.resolveSibling(target.getFileName() + ".part");
        this.listener = listener;
    }

    /** Downloads unless the target is already complete; returns the target. */
    Path run() {
        URI uri = hub.resolve(repo, file.name());
        try {
            if (Files.isRegularFile(target)) {
                long expected = file.size() >= 0 ? file.size() : hub.remoteSize(uri);
                if (expected >= 0 && Files.size(target) == expected) {
                    listener.fileFinished(file.name(), expected, true);
                    return target;
                }
            }
            Files.createDirectories(target.getParent());
            try (FileChannel channel = FileChannel.open(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
                FileLock lock = channel.tryLock();
                if (lock == null) throw new ModelFetchException("another process is downloading " + target + " (" + part.getFileName() + " is locked)");
                download(uri, channel);
            }
            verify();
            move();
            return target;
        } catch (IOException e) {
            throw new ModelFetchException("downloading '" + file.name() + "' of '" + repo.id() + "' into " + target.getParent()
                    + " failed (" + HubClient.reason(e) + "); run the same command again to resume");
        }
    }

    private void download(URI uri, FileChannel channel) throws IOException {
        long have = channel.size();
        // Resume only what can be checked afterwards: without a checksum a part left by another version of the file
        // would go unnoticed; and a part longer than the file is no prefix of it.
        if (file.sha256() == null || (file.size() >= 0 && have > file.size())) have = 0;
        HttpResponse<InputStream> response = request(uri, have);
        if (response.statusCode() == 416 && have > 0) { // nothing left to send: complete, or not ours
            HubClient.closeQuietly(response.body());
            if (have == file.size()) {
                listener.fileFinished(file.name(), have, false);
                return;
            }
            have = 0;
            response = request(uri, 0);
        }
        try (InputStream body = response.body()) {
            long total;
            if (response.statusCode() == 206) {
                long[] range = contentRange(response);
                if (range[0] != have) throw new IOException("the server resumed at byte " + range[0] + " instead of " + have);
                total = range[1];
            } else if (response.statusCode() == 200) {
                have = 0; // the server ignores Range: take it all again
                total = response.headers().firstValueAsLong("Content-Length").orElse(file.size());
            } else {
                throw hub.httpError(response.statusCode(), repo, file.name());
            }
            if (file.size() >= 0 && total >= 0 && total != file.size()) {
                throw new ModelFetchException("'" + file.name() + "' of '" + repo.id() + "' is " + total + " bytes but the hub's file list says "
                        + file.size() + "; run the command again later");
            }
            checkSpace(total - have);
            channel.truncate(have);
            channel.position(have);
            if (have > 0) listener.fileResumed(file.name(), have, total);
            else listener.fileStarted(file.name(), total);
            long done = copy(body, channel, have, total);
            if (total >= 0 && done < total) {
                throw new IOException("the connection closed at " + mb(done) + " of " + mb(total) + " MB");
            }
            listener.fileFinished(file.name(), done, false);
        }
    }

    private HttpResponse<InputStream> request(URI uri, long from) {
        return hub.send(uri, "GET", true, from > 0 ? Map.of("Range", "bytes=" + from + "-") : Map.of());
    }

    /** Streams the body after the bytes already there; the part keeps whatever arrived if the transfer breaks. */
    private long copy(InputStream body, FileChannel channel, long have, long total) throws IOException {
        OutputStream out = Channels.newOutputStream(channel);
        byte[] buffer = new byte[1 << 16];
        long done = have;
        for (int n; (n = body.read(buffer)) > 0; ) {
            if (total >= 0 && done + n > total) throw new ModelFetchException("'" + file.name() + "' is longer than announced (" + total + " bytes)");
            out.write(buffer, 0, n);
            done += n;
            listener.bytesTransferred(file.name(), done, total);
        }
        channel.force(false);
        return done;
    }

    /** Size, then SHA-256 when known; a wrong file is deleted, so the next run starts clean. */
    private void verify() throws IOException {
        long size = Files.size(part);
        if (file.size() >= 0 && size != file.size()) {
            throw new IOException("got " + size + " of " + file.size() + " bytes");
        }
        if (file.sha256() == null) return;
        String actual = sha256(part);
        if (!actual.equals(file.sha256())) {
            Files.deleteIfExists(part);
            throw new ModelFetchException("'" + file.name() + "' of '" + repo.id() + "' is corrupt: its SHA-256 is " + actual + ", the hub says "
                    + file.sha256() + "; the download was deleted, run the same command again");
        }
    }

    private void move() throws IOException {
        try {
            Files.move(part, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(part, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private void checkSpace(long needed) throws IOException {
        if (needed <= 0) return;
        long free = Files.getFileStore(part).getUsableSpace();
        if (free < needed) {
            throw new ModelFetchException(String.format(Locale.ROOT, "not enough disk space for '%s' in %s: %.1f GB more needed, %.1f GB free",
                    file.name(), target.getParent(), needed / GB, free / GB));
        }
    }

    private static long[] contentRange(HttpResponse<?> response) throws IOException {
        String header = response.headers().firstValue("Content-Range").orElse("");
        Matcher m = CONTENT_RANGE.matcher(header);
        if (!m.matches()) throw new IOException("partial answer without a valid Content-Range ('" + header + "')");
        return new long[] {Long.parseLong(m.group(1)), m.group(3).equals("*") ? -1 : Long.parseLong(m.group(3))};
    }

    static String sha256(Path path) throws IOException {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        try (InputStream in = Files.newInputStream(path)) {
            byte[] buffer = new byte[1 << 16];
            for (int n; (n = in.read(buffer)) > 0; ) digest.update(buffer, 0, n);
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private static String mb(long bytes) {
        return String.format(Locale.ROOT, "%.1f", bytes / 1e6);
    }
}
