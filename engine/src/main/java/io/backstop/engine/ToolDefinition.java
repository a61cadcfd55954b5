package io.backstop.engine;

import java.util.Objects;

/**
 * A function the model may call, as a chat template shows it to the model ({@code tools}).
 *
 * @param description null when the function has none
 * @param parameters  its arguments' JSON schema as JSON text; null when it takes none
 */
public record ToolDefinition(String name, String description, String parameters) {
    public ToolDefinition {
        Objects.requireNonNull(name, "name");
    }
}
