package io.backstop.engine.grammar.json;

/**
 * Regular expressions for the string formats JSON schemas may ask for: RFC 3339 dates and times (real
 * calendar days, offsets within ±18:00 and never the "unknown" -00:00, as java.time and validators
 * require), RFC 4122 UUIDs, and email addresses whose domain ends in a common top-level domain
 * (validators check the domain against the real list).
 */
final class Formats {
    private Formats() {}

    // Day ranges per month; 29 February only in leap years.
    private static final String DATE = "(\\d{4}-(0[13578]|1[02])-(0[1-9]|[12]\\d|3[01])"
            + "|\\d{4}-(0[469]|11)-(0[1-9]|[12]\\d|30)"
            + "|\\d{4}-02-(0[1-9]|1\\d|2[0-8])"
            + "|(\\d\\d(0[48]|[2468][048]|[13579][26])|([02468][048]|[13579][26])00)-02-29)";
    private static final String OFFSET = "(Z|\\+((0\\d|1[0-7]):[0-5]\\d|18:00)|-((0[1-9]|1[0-7]):[0-5]\\d|00:(0[1-9]|[1-5]\\d)|18:00))";
    private static final String TIME = "([01]\\d|2[0-3]):[0-5]\\d:[0-5]\\d(\\.\\d{1,9})?" + OFFSET;
    private static final String UUID = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}";
    private static final String LABEL = "[a-z0-9]{1,20}";
    private static final String TLD = "(com|org|net|edu|gov|io|ai|dev|app|info|biz|co|me|us|uk|de|fr|es|it|nl|be|ch|at|se|no|dk|fi|pl|pt|ie|ca|au|nz|jp|cn|in|br|mx|ru|za|kr)";
    private static final String EMAIL = "[A-Za-z0-9_%+-]{1,32}(\\.[A-Za-z0-9_%+-]{1,31})?@" + LABEL + "(\\." + LABEL + ")?\\." + TLD;

    static String regex(String format) {
        return switch (format) {
            case "date" -> DATE;
            case "date-time" -> DATE + "T" + TIME;
            case "uuid" -> UUID;
            case "email" -> EMAIL;
            default -> throw new IllegalArgumentException(format);
        };
    }
}
