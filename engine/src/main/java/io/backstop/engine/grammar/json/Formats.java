package io.backstop.engine.grammar.json;

/** Regular expressions for the string formats JSON schemas may ask for (RFC 3339 dates, RFC 4122 UUIDs, emails). */
final class Formats {
    private Formats() {}

    // Day ranges per month; 29 February only in leap years.
    private static final String DATE = "(\\d{4}-(0[13578]|1[02])-(0[1-9]|[12]\\d|3[01])"
            + "|\\d{4}-(0[469]|11)-(0[1-9]|[12]\\d|30)"
            + "|\\d{4}-02-(0[1-9]|1\\d|2[0-8])"
            + "|(\\d\\d(0[48]|[2468][048]|[13579][26])|([02468][048]|[13579][26])00)-02-29)";
    private static final String TIME = "([01]\\d|2[0-3]):[0-5]\\d:[0-5]\\d(\\.\\d{1,9})?(Z|[+-]([01]\\d|2[0-3]):[0-5]\\d)";
    private static final String UUID = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}";
    private static final String LABEL = "[A-Za-z0-9]{1,20}(-[A-Za-z0-9]{1,20}){0,2}";
    private static final String EMAIL = "[A-Za-z0-9_%+-]{1,32}(\\.[A-Za-z0-9_%+-]{1,16}){0,2}@" + LABEL + "(\\." + LABEL + "){0,3}\\.[A-Za-z]{2,12}";

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
