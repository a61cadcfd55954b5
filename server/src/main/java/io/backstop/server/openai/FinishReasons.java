package io.backstop.server.openai;

import io.backstop.engine.FinishReason;

/** OpenAI's finish_reason values. A cancelled generation nobody is waiting for is reported as "stop". */
final class FinishReasons {
    private FinishReasons() {}

    static String of(FinishReason r) {
        return r == FinishReason.LENGTH ? "length" : "stop";
    }
}
