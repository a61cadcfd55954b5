package io.backstop.server.observe;

import io.opentelemetry.api.common.AttributeKey;
import java.util.List;

/**
 * OpenTelemetry GenAI semantic-convention names used for spans, metrics and events (development
 * status; the strings are written out here rather than taken from the incubating semconv artifact).
 */
public final class GenAi {
    private GenAi() {}

    public static final String OPERATION = "gen_ai.operation.name";
    public static final String PROVIDER = "gen_ai.provider.name";
    public static final String REQUEST_MODEL = "gen_ai.request.model";
    public static final String RESPONSE_MODEL = "gen_ai.response.model";
    public static final String TOKEN_TYPE = "gen_ai.token.type";
    public static final String ERROR_TYPE = "error.type";

    public static final AttributeKey<String> A_OPERATION = AttributeKey.stringKey(OPERATION);
    public static final AttributeKey<String> A_PROVIDER = AttributeKey.stringKey(PROVIDER);
    public static final AttributeKey<String> A_REQUEST_MODEL = AttributeKey.stringKey(REQUEST_MODEL);
    public static final AttributeKey<String> A_RESPONSE_MODEL = AttributeKey.stringKey(RESPONSE_MODEL);
    public static final AttributeKey<String> A_ERROR_TYPE = AttributeKey.stringKey(ERROR_TYPE);
    public static final AttributeKey<Long> A_INPUT_TOKENS = AttributeKey.longKey("gen_ai.usage.input_tokens");
    public static final AttributeKey<Long> A_OUTPUT_TOKENS = AttributeKey.longKey("gen_ai.usage.output_tokens");
    public static final AttributeKey<List<String>> A_FINISH_REASONS = AttributeKey.stringArrayKey("gen_ai.response.finish_reasons");
    public static final AttributeKey<String> A_RESPONSE_ID = AttributeKey.stringKey("gen_ai.response.id");
    public static final AttributeKey<Long> A_MAX_TOKENS = AttributeKey.longKey("gen_ai.request.max_tokens");
    public static final AttributeKey<Double> A_TEMPERATURE = AttributeKey.doubleKey("gen_ai.request.temperature");
    /** Not (yet) in the conventions; what Langfuse reads as an observation's cost in USD. */
    public static final AttributeKey<Double> A_COST = AttributeKey.doubleKey("gen_ai.usage.cost");
    /** The request's {@code user} field (OpenTelemetry's general attribute; Langfuse's user id). */
    public static final AttributeKey<String> A_USER_ID = AttributeKey.stringKey("user.id");
    /** Content, only with content logging on: the messages as JSON in the conventions' shape ({@code role}, {@code parts}). */
    public static final AttributeKey<String> A_INPUT_MESSAGES = AttributeKey.stringKey("gen_ai.input.messages");
    public static final AttributeKey<String> A_OUTPUT_MESSAGES = AttributeKey.stringKey("gen_ai.output.messages");
    public static final AttributeKey<String> A_SERVER_ADDRESS = AttributeKey.stringKey("server.address");
    public static final AttributeKey<Long> A_SERVER_PORT = AttributeKey.longKey("server.port");

    public static final String EVALUATION_EVENT = "gen_ai.evaluation.result";
    public static final AttributeKey<String> A_EVALUATION_NAME = AttributeKey.stringKey("gen_ai.evaluation.name");
    public static final AttributeKey<Double> A_EVALUATION_SCORE = AttributeKey.doubleKey("gen_ai.evaluation.score.value");
    public static final AttributeKey<String> A_EVALUATION_LABEL = AttributeKey.stringKey("gen_ai.evaluation.score.label");
    public static final AttributeKey<String> A_EVALUATION_EXPLANATION = AttributeKey.stringKey("gen_ai.evaluation.explanation");

    /** Histogram boundaries the conventions specify. */
    public static final double[] TOKEN_BUCKETS = {1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864};
    public static final double[] DURATION_BUCKETS = {0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92};
    public static final double[] TTFT_BUCKETS = {0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0};
    public static final double[] TPOT_BUCKETS = {0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5};
}
