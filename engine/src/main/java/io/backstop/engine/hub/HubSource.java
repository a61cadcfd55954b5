package io.backstop.engine.hub;

import java.util.regex.Pattern;

/**
 * What to take from a Hugging Face repository: {@code owner/name[@revision]} (a safetensors model) or,
 * as llama.cpp's {@code -hf} and Ollama's {@code hf.co/} take it, {@code owner/name[@revision]:TAG},
 * the one GGUF file of that quantization (e.g. {@code Q4_K_M}).
 *
 * @param tag the quantization tag, or null for the whole (safetensors) model
 */
public record HubSource(RepoId repo, String tag) {
    private static final Pattern TAG = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]*");

    public static HubSource parse(String spec) {
        String s = spec.strip();
        int colon = s.lastIndexOf(':');
        if (colon < 0 || colon < s.indexOf('/')) return new HubSource(RepoId.parse(s), null);
        String tag = s.substring(colon + 1);
        if (!TAG.matcher(tag).matches()) {
            throw new ModelFetchException("'" + tag + "' in '" + spec + "' is not a quantization tag such as Q4_K_M or Q8_0");
        }
        return new HubSource(RepoId.parse(s.substring(0, colon)), tag);
    }

    /** True for text that reads as {@code owner/name[@revision]:TAG}; says nothing of whether it exists. */
    public static boolean isTagged(String spec) {
        try {
            return parse(spec).tag() != null;
        } catch (ModelFetchException e) {
            return false;
        }
    }

    public HubSource withRevision(String revision) {
        return new HubSource(repo.withRevision(revision), tag);
    }

    @Override
    public String toString() {
        return repo.id() + (RepoId.DEFAULT_REVISION.equals(repo.revision()) ? "" : "@" + repo.revision()) + (tag == null ? "" : ":" + tag);
    }
}
