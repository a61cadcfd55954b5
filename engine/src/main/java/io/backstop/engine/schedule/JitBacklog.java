package io.backstop.engine.schedule;

import java.lang.management.ManagementFactory;
import java.util.function.IntSupplier;
import javax.management.ObjectName;

/**
 * How many of the engine's methods the JIT is compiling or has queued, read from HotSpot's {@code Compiler.queue}
 * diagnostic command (what {@code jcmd <pid> Compiler.queue} prints). The warm-up's steps only queue the kernels for C2,
 * which compiles them in the background for seconds after the last step on a 2-core machine; a request served meanwhile
 * competes with the compiler for the cores and runs the kernels still interpreted or at C1.
 */
public final class JitBacklog {
    private static final String ENGINE = "io.backstop.engine.";

    /** How often, and how many times at most, {@link #awaitEngine} looks at the backlog (60 s). */
    static final long POLL_MILLIS = 100;
    static final int MAX_POLLS = 600;

    private JitBacklog() {}

    /**
     * Waits, up to a minute, until the JIT has no engine method compiling or queued (at once where the JVM cannot
     * tell): what the caller ran is then compiled before anyone is served or timed. Returns the pauses taken.
     */
    public static int awaitEngine() {
        IntSupplier backlog = probe();
        return backlog == null ? 0 : await(backlog, () -> Thread.sleep(POLL_MILLIS), MAX_POLLS);
    }

    /** Pauses between looks at the backlog (a test passes one that only counts). */
    interface Pause {
        void pause() throws InterruptedException;
    }

    /**
     * Waits while {@code backlog} reports engine methods compiling or queued, at most {@code maxPolls} pauses; nothing
     * runs meanwhile, so the compiler has the cores. Returns the pauses taken.
     */
    static int await(IntSupplier backlog, Pause pause, int maxPolls) {
        int polls = 0;
        try {
            while (polls < maxPolls && backlog.getAsInt() > 0) {
                pause.pause();
                polls++;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return polls;
    }

    /** The probe on this JVM, or null where the diagnostic command is not available (another VM, no java.management). */
    public static IntSupplier probe() {
        try {
            var server = ManagementFactory.getPlatformMBeanServer();
            var name = new ObjectName("com.sun.management:type=DiagnosticCommand");
            IntSupplier probe = () -> {
                try {
                    return engineMethods((String) server.invoke(name, "compilerQueue", new Object[] {null}, new String[] {String[].class.getName()}));
                } catch (Exception e) {
                    return 0; // the command failed: nothing to wait for
                }
            };
            probe.getAsInt();
            return probe;
        } catch (Exception | LinkageError e) {
            return null;
        }
    }

    /** Lines of a {@code Compiler.queue} listing (current compiles and both queues) that name an engine method. */
    static int engineMethods(String queue) {
        int n = 0;
        for (String line : queue.split("\n")) if (line.contains(ENGINE)) n++;
        return n;
    }
}
