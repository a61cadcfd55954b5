package io.backstop.server.guard.eval;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Enumeration;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * A corpus of ordinary text that is in none of the labelled data, for the injection detector's
 * false-positive check: paragraphs of README files under a documentation folder (e.g.
 * {@code /usr/share/doc}, gzip'd or not), chunks of Java sources from a JDK's {@code lib/src.zip}
 * (code and Javadoc), and paragraphs of Markdown files. Built the same way every time (sorted files,
 * every n-th chunk), never stored: it is read from the machine when the check runs.
 */
public final class OrdinaryText {
    /** One chunk and where it came from (a file, or a zip entry). */
    public record Chunk(String source, String text) {}

    private static final int MIN_CHARS = 80;
    private static final int MAX_CHARS = 4000;

    private OrdinaryText() {}

    /** Paragraphs of README* files (plain or .gz) in the sub-folders of {@code docRoot}, at most {@code max}. */
    public static List<Chunk> readmes(Path docRoot, int max) throws IOException {
        List<Chunk> all = new ArrayList<>();
        if (!Files.isDirectory(docRoot)) return all;
        List<Path> files;
        try (Stream<Path> s = Files.walk(docRoot, 2)) {
            files = s.filter(p -> p.getFileName().toString().startsWith("README") && Files.isRegularFile(p)).sorted().toList();
        }
        for (Path f : files) {
            String text;
            try (InputStream in = f.toString().endsWith(".gz") ? new GZIPInputStream(Files.newInputStream(f)) : Files.newInputStream(f)) {
                text = new String(in.readNBytes(256 * 1024), StandardCharsets.UTF_8);
            } catch (IOException e) {
                continue; // unreadable or not gzip: skip
            }
            for (String p : paragraphs(text)) all.add(new Chunk(f.toString(), p));
        }
        return every(all, max);
    }

    /** Paragraphs of one Markdown or text file. */
    public static List<Chunk> markdown(Path file) throws IOException {
        List<Chunk> out = new ArrayList<>();
        if (!Files.isRegularFile(file)) return out;
        for (String p : paragraphs(Files.readString(file))) out.add(new Chunk(file.toString(), p));
        return out;
    }

    /** Ordinary chat turns written for this check (a resource of the jar). */
    public static List<Chunk> chatTurns() throws IOException {
        return lines("chat-turns.txt");
    }

    /** Resource of the pinned ordinary-text corpus that {@code guard train} learns from (chunks separated by a form-feed line). */
    public static final String TRAINING_CORPUS = "training-ordinary-text.txt.gz";
    /** Separates two chunks in {@link #TRAINING_CORPUS}. */
    static final String CHUNK_SEPARATOR = "\n\f\n";

    /**
     * The ordinary text {@code guard train} adds as benign examples, all committed: a gzip'd snapshot of
     * chunks of Backstop's own Java sources and Javadoc (engine, bench, server without the guard package,
     * which quotes attacks) as {@link #javaSourceTrees} read them at commit 5eefc09 (1500 chunks), chunks
     * of Python's standard library ({@link #TRAINING_PYTHON}, 3000) and texts written for training
     * ({@link #TRAINING_TURNS}). Pinned, so that retraining at any later commit gives the shipped model's
     * bytes; none of it is in {@code fp-check} (other sources: READMEs, the JDK's java.base, chat-turns.txt).
     */
    public static List<Chunk> trainingCorpus() throws IOException {
        List<Chunk> out = new ArrayList<>(pinned(TRAINING_CORPUS));
        out.addAll(pinned(TRAINING_PYTHON));
        out.addAll(lines(TRAINING_TURNS));
        return out;
    }

    /**
     * Resource of the second pinned corpus: {@link #pythonSources} of Python 3.11's standard library as
     * Debian's libpython3.11-minimal 3.11.2-6+deb12u6 installs it ({@code /usr/lib/python3.11}; PSF licence), docstrings
     * (prose about passwords, systems, ignoring errors, instructions) and code.
     */
    public static final String TRAINING_PYTHON = "training-ordinary-python.txt.gz";
    /** Resource of ordinary texts written for training (support questions, e-mails, chat turns); not in {@code fp-check}. */
    public static final String TRAINING_TURNS = "training-ordinary-turns.txt";

    private static List<Chunk> pinned(String resource) throws IOException {
        List<Chunk> out = new ArrayList<>();
        try (InputStream in = OrdinaryText.class.getResourceAsStream(resource)) {
            if (in == null) throw new IOException(resource + " is missing from the jar");
            String all = new String(new GZIPInputStream(in).readAllBytes(), StandardCharsets.UTF_8);
            int i = 0;
            for (String c : all.split(CHUNK_SEPARATOR)) {
                if (!c.isBlank()) out.add(new Chunk(resource + "#" + i++, c));
            }
        }
        return out;
    }

    /** One chunk per non-blank line of a text resource; lines starting with '#' are comments. */
    private static List<Chunk> lines(String resource) throws IOException {
        List<Chunk> out = new ArrayList<>();
        try (InputStream in = OrdinaryText.class.getResourceAsStream(resource)) {
            if (in == null) throw new IOException(resource + " is missing from the jar");
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (!line.isBlank() && !line.startsWith("#")) out.add(new Chunk(resource, line.strip()));
            }
        }
        return out;
    }

    /** Chunks of about 30 lines of Java sources under {@code prefix} (e.g. "java.base/java/util/") in a JDK's src.zip. */
    public static List<Chunk> javaSources(Path srcZip, String prefix, int max) throws IOException {
        return javaSources(srcZip, List.of(prefix), max);
    }

    /** Chunks of about 30 lines of Java sources under any of the prefixes, plus each Javadoc comment as prose. */
    public static List<Chunk> javaSources(Path srcZip, List<String> prefixes, int max) throws IOException {
        List<Chunk> all = new ArrayList<>();
        if (!Files.isRegularFile(srcZip)) return all;
        try (ZipFile zip = new ZipFile(srcZip.toFile())) {
            List<ZipEntry> entries = new ArrayList<>();
            for (Enumeration<? extends ZipEntry> e = zip.entries(); e.hasMoreElements(); ) {
                ZipEntry z = e.nextElement();
                if (prefixes.stream().anyMatch(z.getName()::startsWith) && z.getName().endsWith(".java")) entries.add(z);
            }
            entries.sort(Comparator.comparing(ZipEntry::getName));
            for (ZipEntry z : entries) {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(zip.getInputStream(z), StandardCharsets.UTF_8))) {
                    chunkJava(r, z.getName(), all);
                }
            }
        }
        return every(all, max);
    }

    /**
     * The same chunks from the {@code .java} files under folders of a checkout (sorted by their path
     * relative to {@code base}, so the corpus is the same wherever the checkout lives), skipping any path
     * that contains one of {@code exclude}.
     */
    public static List<Chunk> javaSourceTrees(Path base, List<String> folders, List<String> exclude, int max) throws IOException {
        List<Chunk> all = new ArrayList<>();
        List<String> files = new ArrayList<>();
        for (String folder : folders) {
            Path root = base.resolve(folder);
            if (!Files.isDirectory(root)) throw new IOException("no such folder: " + root);
            try (Stream<Path> s = Files.walk(root)) {
                s.filter(p -> p.toString().endsWith(".java") && Files.isRegularFile(p))
                        .map(p -> base.relativize(p).toString().replace('\\', '/'))
                        .filter(p -> exclude.stream().noneMatch(p::contains))
                        .forEach(files::add);
            }
        }
        files.sort(Comparator.naturalOrder());
        for (String f : files) {
            try (BufferedReader r = Files.newBufferedReader(base.resolve(f), StandardCharsets.UTF_8)) {
                chunkJava(r, f, all);
            }
        }
        return every(all, max);
    }

    /**
     * Chunks of the {@code .py} files under {@code root} (e.g. a Python standard library; its {@code test}
     * folders and installed packages skipped): every docstring as prose, and the code in chunks of 30
     * lines. Files sorted by their path relative to {@code root}; every n-th chunk so at most {@code max}.
     */
    public static List<Chunk> pythonSources(Path root, int max) throws IOException {
        List<Chunk> all = new ArrayList<>();
        if (!Files.isDirectory(root)) throw new IOException("no such folder: " + root);
        List<String> files;
        try (Stream<Path> s = Files.walk(root)) {
            files = s.filter(p -> p.toString().endsWith(".py") && Files.isRegularFile(p))
                    .map(p -> root.relativize(p).toString().replace('\\', '/'))
                    .filter(p -> !p.startsWith("test") && !p.contains("/test") && !p.contains("-packages/"))
                    .sorted().toList();
        }
        for (String f : files) {
            // form feeds (page breaks in some modules) would split a chunk of the pinned corpus in two
            String text = Files.readString(root.resolve(f), StandardCharsets.UTF_8).replace('\f', '\n');
            for (int at = text.indexOf("\"\"\""); at >= 0; ) {
                int end = text.indexOf("\"\"\"", at + 3);
                if (end < 0) break;
                add(all, f + "#doc", text.substring(at + 3, end));
                at = text.indexOf("\"\"\"", end + 3);
            }
            String[] lines = text.split("\n", -1);
            for (int i = 0; i < lines.length; i += 30) {
                add(all, f, String.join("\n", java.util.Arrays.copyOfRange(lines, i, Math.min(lines.length, i + 30))));
            }
        }
        return every(all, max);
    }

    /** Chunks of 30 lines of one Java file, plus each Javadoc comment (markers stripped) as prose. */
    private static void chunkJava(BufferedReader r, String name, List<Chunk> all) throws IOException {
        StringBuilder b = new StringBuilder();
        int lines = 0;
        StringBuilder doc = null;
        String line;
        while ((line = r.readLine()) != null) {
            String l = line.strip();
            if (l.startsWith("/**")) doc = new StringBuilder();
            if (doc != null) {
                doc.append(l.replaceFirst("^/?\\*+/?\\s?", "")).append('\n');
                if (l.endsWith("*/")) {
                    add(all, name + "#doc", doc.toString());
                    doc = null;
                }
            }
            b.append(line).append('\n');
            if (++lines == 30) {
                add(all, name, b.toString());
                b.setLength(0);
                lines = 0;
            }
        }
        add(all, name, b.toString());
    }

    private static void add(List<Chunk> all, String source, String text) {
        String t = text.strip();
        if (t.length() >= MIN_CHARS) all.add(new Chunk(source, t.length() > MAX_CHARS ? t.substring(0, MAX_CHARS) : t));
    }

    static List<String> paragraphs(String text) {
        List<String> out = new ArrayList<>();
        for (String p : text.split("\\n\\s*\\n")) {
            String t = p.strip();
            if (t.length() >= MIN_CHARS) out.add(t.length() > MAX_CHARS ? t.substring(0, MAX_CHARS) : t);
        }
        return out;
    }

    /** Every n-th chunk so that at most {@code max} remain, spread over all files. */
    static List<Chunk> every(List<Chunk> all, int max) {
        if (all.size() <= max) return all;
        List<Chunk> out = new ArrayList<>(max);
        double step = (double) all.size() / max;
        for (int i = 0; i < max; i++) out.add(all.get((int) (i * step)));
        return out;
    }
}
