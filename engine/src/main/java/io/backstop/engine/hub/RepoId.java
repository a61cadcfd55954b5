package io.backstop.engine.hub;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A Hugging Face model repository reference: {@code owner/name[@revision]}. */
public record RepoId(String owner, String name, String revision) {
    public static final String DEFAULT_REVISION = "main";

    // Hugging Face allows letters, digits, '-', '_' and '.' in owner and repo names.
    private static final Pattern SPEC = Pattern.compile("([A-Za-z0-9][\\w.-]*)/([A-Za-z0-9][\\w.-]*)(?:@(\\S+))?");

    /** Parses {@code owner/name} or {@code owner/name@revision} (default revision {@value #DEFAULT_REVISION}). */
    public static RepoId parse(String spec) {
        Matcher m = SPEC.matcher(spec.strip());
        if (!m.matches() || m.group(2).endsWith(".") || m.group(2).contains("..")) {
            throw new ModelFetchException("'" + spec + "' is neither a local model directory nor a Hugging Face"
                    + " repo id (owner/name, owner/name@revision, or owner/name:QUANT for one GGUF file)");
        }
        return new RepoId(m.group(1), m.group(2), m.group(3) == null ? DEFAULT_REVISION : m.group(3));
    }

    /** {@code owner/name}, without the revision. */
    public String id() {
        return owner + "/" + name;
    }

    public RepoId withRevision(String newRevision) {
        return new RepoId(owner, name, newRevision);
    }

    @Override
    public String toString() {
        return id() + "@" + revision;
    }
}
