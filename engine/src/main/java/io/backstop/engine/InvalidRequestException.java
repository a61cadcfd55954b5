package io.backstop.engine;

/** A request option is wrong; {@link #field()} names it (OpenAI's snake_case name). */
public final class InvalidRequestException extends EngineException {
    private final String field;

    public InvalidRequestException(String field, String message) {
        super(message);
        this.field = field;
    }

    public String field() {
        return field;
    }
}
