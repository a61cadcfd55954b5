package io.backstop.bench.peer;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Optional peer comparison with llama.cpp's {@code llama-bench}: runs the user's binary on a GGUF of the same model
 * with the same threads / prompt length / generation length, parses its {@code -o json} output, and formats its
 * numbers beside ours.
 *
 * <p>Nothing of llama.cpp ships with Backstop: the user points us at their own build ({@code --llama-bench PATH}).
 * llama-bench runs one untimed warm-up and then {@code reps} timed repetitions of each test; a {@code -p N} test
 * ({@code ppN}) times one batched forward pass over N prompt tokens, a {@code -n N} test ({@code tgN}) times N
 * single-token decode steps. Its tok/s are N / time, so our numbers must be measured the same way to compare.
 *
 * <p>Every failure is a {@link LlamaBenchException} with a one-line message.
 */
public final class LlamaBench {
    /** Generous: llama-bench on a big model with many repetitions can take minutes. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(10);

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final byte[] GGUF_MAGIC = {'G', 'G', 'U', 'F'};

    private LlamaBench() {}

    /**
     * What one llama-bench run reported: its rows plus what it said about itself (from the first row).
     *
     * @param build     llama.cpp build, e.g. {@code b4743 (c392e509)}; empty when not reported
     * @param modelType llama.cpp's description of the model, e.g. {@code llama ?B all F32}
     * @param backends  e.g. {@code CPU}, {@code Metal,BLAS}
     * @param cpuInfo   CPU as llama.cpp names it
     */
    public record Report(List<PeerResult> results, String build, String modelType, String backends, String cpuInfo) {
        public Report {
            results = List.copyOf(results);
        }

        /** One line for a results header, e.g. {@code llama.cpp b4743 (c392e509), backends CPU, model llama ?B all F32}. */
        public String describe() {
            StringBuilder sb = new StringBuilder("llama.cpp");
            if (!build.isEmpty()) sb.append(' ').append(build);
            if (!backends.isEmpty()) sb.append(", backends ").append(backends);
            if (!modelType.isEmpty()) sb.append(", model ").append(modelType);
            return sb.toString();
        }
    }

    /**
     * Runs {@code binary -m gguf -t threads -p pp -n tg -r reps -o json} and returns its rows: a {@code pp<pp>} row
     * (unless {@code pp} is 0) and a {@code tg<tg>} row (unless {@code tg} is 0).
     *
     * @throws LlamaBenchException binary missing or not executable, model missing or not GGUF, bad arguments,
     *                             timeout, non-zero exit (with llama-bench's last stderr line), unparsable output
     */
    public static List<PeerResult> run(Path binary, Path gguf, int threads, int pp, int tg, int reps, Duration timeout) {
        return runReport(binary, gguf, threads, pp, tg, reps, timeout).results();
    }

    /** As {@link #run}, also keeping what llama-bench says about its build, backends and the model. */
    public static Report runReport(Path binary, Path gguf, int threads, int pp, int tg, int reps, Duration timeout) {
        List<String> cmd = command(binary, gguf, threads, pp, tg, reps);
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new LlamaBenchException("llama-bench timeout must be positive, got " + timeout);
        }
        checkModel(gguf);
        Path out = null;
        Path err = null;
        Process p = null;
        try {
            out = Files.createTempFile("backstop-llama-bench", ".out");
            err = Files.createTempFile("backstop-llama-bench", ".err");
            ProcessBuilder pb = new ProcessBuilder(cmd)
                    .redirectOutput(out.toFile())
                    .redirectError(err.toFile());
            try {
                p = pb.start();
            } catch (IOException e) {
                throw new LlamaBenchException("could not start llama-bench " + binary + ": " + oneLine(e.getMessage()), e);
            }
            p.getOutputStream().close();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                kill(p);
                throw new LlamaBenchException("llama-bench did not finish within " + human(timeout)
                        + " and was killed (raise the timeout, or lower -r/-p/-n)");
            }
            String stdout = Files.readString(out, StandardCharsets.UTF_8);
            String stderr = Files.readString(err, StandardCharsets.UTF_8);
            int code = p.exitValue();
            if (code != 0) {
                String last = lastLine(stderr);
                if (last.isEmpty()) last = lastLine(stdout);
                if (last.isEmpty()) last = "(no output)";
                String signal = code > 128 && code < 160 ? " (killed by signal " + (code - 128) + ")" : "";
                throw new LlamaBenchException("llama-bench exited with code " + code + signal + ": " + last);
            }
            return parseReport(stdout);
        } catch (InterruptedException e) {
            if (p != null) kill(p);
            Thread.currentThread().interrupt();
            throw new LlamaBenchException("interrupted while llama-bench was running", e);
        } catch (IOException e) {
            throw new LlamaBenchException("could not capture llama-bench output: " + oneLine(e.getMessage()), e);
        } finally {
            deleteQuietly(out);
            deleteQuietly(err);
        }
    }

    /** The command line {@link #run} uses (after checking the binary and the numbers). */
    public static List<String> command(Path binary, Path gguf, int threads, int pp, int tg, int reps) {
        checkBinary(binary);
        if (gguf == null) throw new LlamaBenchException("no GGUF model given for llama-bench");
        if (threads < 1) throw new LlamaBenchException("llama-bench threads must be at least 1, got " + threads);
        if (pp < 0 || tg < 0) throw new LlamaBenchException("llama-bench prompt and generation lengths must be >= 0, got " + pp + " and " + tg);
        if (pp == 0 && tg == 0) throw new LlamaBenchException("llama-bench needs a prompt length or a generation length above 0");
        if (reps < 1) throw new LlamaBenchException("llama-bench repetitions must be at least 1, got " + reps);
        return List.of(binary.toAbsolutePath().toString(),
                "-m", gguf.toAbsolutePath().toString(),
                "-t", Integer.toString(threads),
                "-p", Integer.toString(pp),
                "-n", Integer.toString(tg),
                "-r", Integer.toString(reps),
                "-ngl", "0", // CPU against CPU, even with a GPU build of llama.cpp
                "-o", "json");
    }

    /** Throws a one-line {@link LlamaBenchException} unless {@code binary} is an executable file. */
    public static void checkBinary(Path binary) {
        if (binary == null) throw new LlamaBenchException("no llama-bench binary given (--llama-bench PATH)");
        if (!Files.exists(binary)) throw new LlamaBenchException("llama-bench not found: " + binary);
        if (Files.isDirectory(binary)) throw new LlamaBenchException("llama-bench path is a directory, not the binary: " + binary);
        if (!Files.isExecutable(binary)) throw new LlamaBenchException("llama-bench is not executable: " + binary + " (chmod +x it)");
    }

    /** Throws a one-line {@link LlamaBenchException} unless {@code gguf} is a readable file starting with GGUF's magic. */
    public static void checkModel(Path gguf) {
        if (gguf == null) throw new LlamaBenchException("no GGUF model given for llama-bench");
        if (!Files.exists(gguf)) throw new LlamaBenchException("GGUF model not found: " + gguf);
        if (Files.isDirectory(gguf)) throw new LlamaBenchException("GGUF model path is a directory, llama-bench needs the .gguf file: " + gguf);
        byte[] head;
        try (InputStream in = Files.newInputStream(gguf)) {
            head = in.readNBytes(4);
        } catch (IOException e) {
            throw new LlamaBenchException("cannot read GGUF model " + gguf + ": " + oneLine(e.getMessage()), e);
        }
        if (!java.util.Arrays.equals(head, GGUF_MAGIC)) {
            throw new LlamaBenchException("not a GGUF file (llama-bench needs the model as .gguf): " + gguf);
        }
    }

    /** Parses llama-bench {@code -o json} (or {@code -o jsonl}) output into its rows. */
    public static List<PeerResult> parse(String output) {
        return parseReport(output).results();
    }

    /** Parses llama-bench {@code -o json} (or {@code -o jsonl}) output, keeping its build / backends / model. */
    public static Report parseReport(String output) {
        if (output == null || output.isBlank()) throw new LlamaBenchException("llama-bench printed nothing on stdout");
        List<JsonNode> rows = new ArrayList<>();
        String text = fromFirstJsonLine(output);
        try {
            if (text.startsWith("[")) {
                JsonNode root = JSON.readTree(text);
                for (JsonNode row : root) rows.add(row);
            } else if (text.startsWith("{")) { // jsonl: one object a line
                for (String line : text.split("\\R")) {
                    if (!line.isBlank()) rows.add(JSON.readTree(line));
                }
            } else {
                throw new LlamaBenchException("llama-bench output is not JSON (is it an old llama-bench without -o json?); it starts: "
                        + snippet(output));
            }
        } catch (JsonProcessingException e) {
            String where = e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
            throw new LlamaBenchException("could not parse llama-bench JSON output: " + oneLine(e.getOriginalMessage()) + where, e);
        }
        if (rows.isEmpty()) throw new LlamaBenchException("llama-bench printed no results");
        List<PeerResult> results = new ArrayList<>(rows.size());
        for (int i = 0; i < rows.size(); i++) results.add(row(rows.get(i), i + 1));
        JsonNode first = rows.get(0);
        String build = text(first, "build_number").isEmpty() ? "" : "b" + text(first, "build_number");
        String commit = text(first, "build_commit");
        if (!commit.isEmpty()) build = build.isEmpty() ? commit : build + " (" + commit + ")";
        return new Report(results, build, text(first, "model_type"), text(first, "backends"), text(first, "cpu_info"));
    }

    /**
     * A Markdown table of our tok/s beside llama.cpp's: rows {@code test | Backstop tok/s | llama.cpp tok/s | ratio},
     * ratio = Backstop / llama.cpp (above 1: we are faster). Rows follow llama-bench's order, then tests only we ran;
     * a side that has no number for a test shows "—".
     *
     * @param ours our mean tok/s keyed by llama-bench's test name ({@code pp64}, {@code tg128})
     */
    public static String compare(Map<String, Double> ours, List<PeerResult> peer) {
        StringBuilder sb = new StringBuilder();
        sb.append("| test | Backstop tok/s | llama.cpp tok/s | ratio |\n");
        sb.append("|---|---:|---:|---:|\n");
        Set<String> seen = new LinkedHashSet<>();
        for (PeerResult r : peer) {
            seen.add(r.test());
            Double mine = ours.get(r.test());
            String theirs = r.samples().size() > 1
                    ? String.format(Locale.ROOT, "%.1f ± %.1f", r.tokensPerSecond(), r.stddev())
                    : String.format(Locale.ROOT, "%.1f", r.tokensPerSecond());
            String ratio = mine != null && r.tokensPerSecond() > 0
                    ? String.format(Locale.ROOT, "%.2f×", mine / r.tokensPerSecond()) : "—";
            sb.append("| ").append(r.test()).append(" | ").append(mine == null ? "—" : fmt(mine))
                    .append(" | ").append(theirs).append(" | ").append(ratio).append(" |\n");
        }
        for (Map.Entry<String, Double> e : ours.entrySet()) {
            if (seen.contains(e.getKey())) continue;
            sb.append("| ").append(e.getKey()).append(" | ").append(e.getValue() == null ? "—" : fmt(e.getValue()))
                    .append(" | — | — |\n");
        }
        return sb.toString();
    }

    /** llama-bench's name for a test: {@code pp64}, {@code tg128}, {@code pp64+tg128}, with {@code " @ d512"} for a depth. */
    public static String testName(int nPrompt, int nGen, int nDepth) {
        String name;
        if (nPrompt > 0 && nGen == 0) name = "pp" + nPrompt;
        else if (nGen > 0 && nPrompt == 0) name = "tg" + nGen;
        else name = "pp" + nPrompt + "+tg" + nGen;
        return nDepth > 0 ? name + " @ d" + nDepth : name;
    }

    private static PeerResult row(JsonNode row, int index) {
        if (!row.isObject()) throw new LlamaBenchException("llama-bench result " + index + " is not a JSON object");
        int nPrompt = intField(row, "n_prompt", index);
        int nGen = intField(row, "n_gen", index);
        int threads = intField(row, "n_threads", index);
        double avg = number(row, "avg_ts", index);
        double sd = row.hasNonNull("stddev_ts") ? number(row, "stddev_ts", index) : 0;
        int depth = row.path("n_depth").asInt(0);
        List<Double> samples = new ArrayList<>();
        JsonNode s = row.get("samples_ts");
        if (s != null && s.isArray()) {
            for (JsonNode v : s) samples.add(v.asDouble());
        }
        return new PeerResult(testName(nPrompt, nGen, depth), threads, avg, sd, samples);
    }

    private static int intField(JsonNode row, String name, int index) {
        JsonNode v = row.get(name);
        if (v == null || !v.canConvertToInt()) {
            throw new LlamaBenchException("llama-bench result " + index + " has no integer '" + name + "' (is this llama-bench -o json output?)");
        }
        return v.intValue();
    }

    private static double number(JsonNode row, String name, int index) {
        JsonNode v = row.get(name);
        if (v == null || !v.isNumber()) {
            throw new LlamaBenchException("llama-bench result " + index + " has no number '" + name + "' (is this llama-bench -o json output?)");
        }
        return v.doubleValue();
    }

    private static String text(JsonNode row, String name) {
        JsonNode v = row.get(name);
        return v == null || v.isNull() ? "" : v.asText().trim();
    }

    /** Skips anything before the first line that opens JSON (a newer or patched llama-bench might log to stdout). */
    private static String fromFirstJsonLine(String output) {
        String[] lines = output.split("\\R", -1);
        int offset = 0;
        for (String line : lines) {
            String t = line.stripLeading();
            if (t.startsWith("[") || t.startsWith("{")) return output.substring(offset).strip();
            offset += line.length();
            if (offset < output.length() && output.charAt(offset) == '\r') offset++;
            if (offset < output.length() && output.charAt(offset) == '\n') offset++;
        }
        return output.strip();
    }

    private static void kill(Process p) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        try {
            p.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String lastLine(String s) {
        String[] lines = s.strip().split("\\R");
        for (int i = lines.length - 1; i >= 0; i--) {
            if (!lines[i].isBlank()) return lines[i].strip();
        }
        return "";
    }

    private static String snippet(String s) {
        String t = oneLine(s.strip());
        return t.length() > 80 ? t.substring(0, 80) + "…" : t;
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("\\s*\\R\\s*", " ").strip();
    }

    private static String fmt(double tokS) {
        return String.format(Locale.ROOT, "%.1f", tokS);
    }

    private static String human(Duration d) {
        long ms = d.toMillis();
        return ms % 1000 == 0 ? (ms / 1000) + " s" : String.format(Locale.ROOT, "%.1f s", ms / 1000.0);
    }

    private static void deleteQuietly(Path p) {
        if (p == null) return;
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // a temp file left behind is harmless
        }
    }
}
