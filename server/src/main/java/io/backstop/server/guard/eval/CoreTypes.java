package io.backstop.server.guard.eval;

import java.util.List;

/** The entity types {@code guard eval} scores (complete in every row of the shared PII data). */
public final class CoreTypes {
    public static final List<String> ALL = List.of("EMAIL", "PHONE", "CREDIT_CARD", "IBAN", "US_SSN", "IP_ADDRESS", "SECRET");

    private CoreTypes() {}
}
