package io.backstop.engine.hub;

import java.io.Console;
import java.io.PrintWriter;
import java.util.Locale;

/**
 * Shows transfer progress on a console stream (normally stderr, since stdout carries results).
 * On a terminal it redraws one line per file (percentage, MB, MB/s); otherwise, e.g. in CI logs, it prints
 * plain lines: one per file, plus one every {@value #PLAIN_INTERVAL_SECONDS} s for long transfers.
 */
public final class ConsoleProgress implements ProgressListener {
    private static final long REDRAW_NANOS = 100_000_000L;
    private static final long PLAIN_INTERVAL_SECONDS = 10;
    private static final double MB = 1_000_000.0;

    private final PrintWriter out;
    private final boolean interactive;
    private long startNanos;
    private long startBytes;
    private long lastPrintNanos;
    private int lastLineLength;

    /** @param interactive true to redraw a single line (use {@link #isTerminal()}) */
    public ConsoleProgress(PrintWriter out, boolean interactive) {
        this.out = out;
        this.interactive = interactive;
    }

    /** Progress on {@code System.err}, redrawn in place when running in a terminal. */
    public static ConsoleProgress toStderr() {
        return new ConsoleProgress(new PrintWriter(System.err, true), isTerminal());
    }

    /**
     * True when attached to a terminal. JDK 22-24 return a Console even when redirected and added
     * Console.isTerminal() for that, so it is called reflectively while compiling for 21.
     */
    public static boolean isTerminal() {
        Console console = System.console();
        if (console == null) {
            return false;
        }
        try {
            return (Boolean) Console.class.getMethod("isTerminal").invoke(console);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return true; // JDK 21: a non-null console means a terminal
        }
    }

    @Override
    public synchronized void fileStarted(String file, long totalBytes) {
        start(file, 0, totalBytes);
    }

    @Override
    public synchronized void fileResumed(String file, long doneBytes, long totalBytes) {
        out.println("  " + file + ": resuming at " + amount(doneBytes, totalBytes) + unit(totalBytes));
        out.flush();
        start(file, doneBytes, totalBytes);
    }

    private void start(String file, long doneBytes, long totalBytes) {
        startNanos = System.nanoTime();
        startBytes = doneBytes;
        lastPrintNanos = startNanos;
        lastLineLength = 0;
        if (interactive) {
            redraw(line(file, doneBytes, totalBytes));
        }
    }

    @Override
    public synchronized void bytesTransferred(String file, long doneBytes, long totalBytes) {
        long now = System.nanoTime();
        long interval = interactive ? REDRAW_NANOS : PLAIN_INTERVAL_SECONDS * 1_000_000_000L;
        if (now - lastPrintNanos < interval) {
            return;
        }
        lastPrintNanos = now;
        if (interactive) {
            redraw(line(file, doneBytes, totalBytes));
        } else {
            out.println(line(file, doneBytes, totalBytes));
            out.flush();
        }
    }

    @Override
    public synchronized void fileFinished(String file, long totalBytes, boolean skipped) {
        String text = skipped
                ? "  " + file + ": already complete (" + amount(totalBytes, totalBytes) + unit(totalBytes) + "), skipped"
                : line(file, totalBytes, totalBytes);
        if (interactive) {
            redraw(text);
            out.println();
        } else {
            out.println(text);
        }
        out.flush();
    }

    private String line(String file, long done, long total) {
        double seconds = Math.max((System.nanoTime() - startNanos) / 1e9, 1e-3);
        String name = file.length() > 40 ? "…" + file.substring(file.length() - 39) : file;
        String percent = total > 0 ? String.format(Locale.ROOT, "%3d%%", Math.min(100, done * 100 / total)) : "  ?%";
        String size = total >= 0 ? amount(done, total) + "/" + amount(total, total) + unit(total) : amount(done, done) + unit(done);
        return String.format(Locale.ROOT, "  %-40s %s  %s  %.1f MB/s", name, percent, size, (done - startBytes) / MB / seconds);
    }

    /** Small files in kB, so that a 715-byte config does not read "0.0/0.0 MB". */
    private static String amount(long bytes, long scale) {
        return String.format(Locale.ROOT, "%.1f", bytes / (scale < MB ? 1000.0 : MB));
    }

    private static String unit(long scale) {
        return scale < MB ? " kB" : " MB";
    }

    /** Overwrites the current line; pads with spaces in case the previous text was longer. */
    private void redraw(String text) {
        int pad = Math.max(0, lastLineLength - text.length());
        out.print("\r" + text + " ".repeat(pad));
        out.flush();
        lastLineLength = text.length();
    }
}
