package io.backstop.server.guard.output;

import io.backstop.server.guard.GuardAction;
import io.backstop.server.guard.GuardProfile;
import io.backstop.server.guard.Vault;
import io.backstop.server.guard.pii.PiiScanner;
import io.backstop.server.guard.CheckResult;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The output checks of one profile: opens a {@link StreamingOutputCheck} per answer (streamed or
 * whole). Thread-safe; a session is not (one per answer).
 */
public final class OutputGuard {
    private final GuardProfile profile;
    private final PiiScanner scanner;

    public OutputGuard(GuardProfile profile) {
        this.profile = profile;
        GuardProfile.OutputChecks o = profile.output();
        Set<String> types = new HashSet<>();
        if (o.pii() != GuardAction.OFF) types.addAll(o.piiTypes());
        if (o.secrets() != GuardAction.OFF) types.add("SECRET");
        this.scanner = types.isEmpty() ? null : new PiiScanner(types);
    }

    /**
     * A session for one answer.
     *
     * @param inputVault the request's vault, whose placeholders are restored in the answer when the
     *                   profile says {@code restore} (null: nothing to restore)
     */
    public StreamingOutputCheck open(Vault inputVault) {
        return new StreamingOutputCheck(profile, scanner, profile.restore() ? inputVault : null);
    }

    /** Checks a whole (non-streamed) answer: the same rules as a stream of one delta. */
    public OutputChunk checkAnswer(String answer, Vault inputVault) {
        StreamingOutputCheck s = open(inputVault);
        OutputChunk a = s.accept(answer);
        if (a.stopped()) return a;
        OutputChunk b = s.finish();
        List<CheckResult> all = new ArrayList<>(a.results());
        all.addAll(b.results());
        return new OutputChunk(a.text() + b.text(), b.finishReason(), all);
    }
}
