package io.backstop.engine.grammar;

/**
 * A grammar, schema, regular expression or choice list cannot be compiled. {@link #keyword()} names the
 * JSON Schema keyword (or grammar construct) at fault when there is one, so callers can say which.
 */
public final class GrammarException extends RuntimeException {
    private final String keyword;
    private final String path;

    public GrammarException(String message) {
        this(null, message);
    }

    public GrammarException(String keyword, String message) {
        this(keyword, null, message);
    }

    public GrammarException(String keyword, String path, String message) {
        super(message);
        this.keyword = keyword;
        this.path = path;
    }

    /** Where in a JSON schema the keyword is, as a JSON pointer fragment ({@code #/properties/age}), or null. */
    public String path() {
        return path;
    }

    /** The unsupported or invalid keyword, or null. */
    public String keyword() {
        return keyword;
    }
}
